/**
 * A Stable Diffusion folder in Optimum's ONNX layout: `model_index.json` (which names the
 * scheduler class), `scheduler/scheduler_config.json`, `tokenizer/`, `text_encoder/model.onnx`,
 * `unet/model.onnx` (its weights may sit beside it in `model.onnx_data`), `vae_decoder/model.onnx`
 * (+ an optional `config.json` with `scaling_factor`), and `vae_encoder/model.onnx` where image to
 * image is to run (optional: text to image does not need it). No safety checker. Stable Diffusion XL adds `text_encoder_2/` and
 * `tokenizer_2/` (`model_index.json` names them).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../../../errors.ts';
import { parseSchedulerConfig, type SchedulerConfig } from './schedulers/config.ts';
import type { SchedulerClassName } from './schedulers/scheduler.ts';
import { isSchedulerClassName } from './schedulers/select.ts';

export type PipelinePart = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_encoder';

/** What Stable Diffusion XL adds: a second text encoder and its tokenizer. */
export interface SecondTextEncoder {
  model: string;
  tokenizerFolder: string;
  /** An absent negative prompt is zeros, not the encoded empty text (`force_zeros_for_empty_prompt`). */
  zerosForEmptyNegative: boolean;
}

export interface PipelineFolder {
  folder: string;
  /** `_name_or_path` from model_index.json, when present (e.g. `stabilityai/sd-turbo`). */
  nameOrPath: string | undefined;
  schedulerClass: SchedulerClassName;
  schedulerConfig: SchedulerConfig;
  /** VAE latent scale (`scaling_factor`), 0.18215 for SD 1.x/2.x. */
  latentScale: number;
  tokenizerFolder: string;
  models: Record<'text_encoder' | 'unet' | 'vae_decoder', string>;
  /** `in_channels` from `unet/config.json` (4; 9 for an inpainting UNet), when the export has one. */
  unetInChannels: number | undefined;
  /** The VAE encoder image to image needs; undefined when the export has none. */
  vaeEncoder: string | undefined;
  /** Set for Stable Diffusion XL. */
  secondTextEncoder: SecondTextEncoder | undefined;
}

export const DEFAULT_LATENT_SCALE = 0.18215;
const SDXL_LATENT_SCALE = 0.13025;

type Json = Record<string, unknown>;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readJson(path: string, required: boolean): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MmkitError(`${path}: cannot read (${describeError(error)})`, {
      code: 'model_incomplete',
      param: 'model',
      type: 'not_found_error',
    });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Json;
  } catch (error) {
    throw new MmkitError(`${path}: not valid JSON (${describeError(error)})`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
}

/** `<part>/model<suffix>.onnx` for the wanted dtype suffix, falling back to `model.onnx`. */
async function modelFile(folder: string, part: PipelinePart, suffix: string): Promise<string> {
  const candidates = [...new Set([`model${suffix}.onnx`, 'model.onnx'])].map((name) => join(folder, part, name));
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  throw new MmkitError(
    `${folder} is not a complete Stable Diffusion ONNX export: ${join(part, 'model.onnx')} is missing`,
    { code: 'model_incomplete', param: 'model', type: 'not_found_error' },
  );
}

export async function readPipelineFolder(folder: string, dtypeSuffix = ''): Promise<PipelineFolder> {
  const indexPath = join(folder, 'model_index.json');
  if (!(await exists(indexPath))) {
    throw new MmkitError(
      `${folder} is not a Stable Diffusion ONNX export: it has no model_index.json (expected Optimum's layout with text_encoder/, unet/, vae_decoder/, tokenizer/, scheduler/)`,
      { code: 'model_incomplete', param: 'model', type: 'not_found_error' },
    );
  }
  const index = (await readJson(indexPath, true))!;
  refuseOtherPipelines(index, folder);
  const schedulerEntry = index.scheduler;
  const schedulerClass = Array.isArray(schedulerEntry) ? String(schedulerEntry[1]) : 'PNDMScheduler';
  if (!isSchedulerClassName(schedulerClass)) {
    throw new MmkitError(
      `${indexPath}: scheduler ${schedulerClass} is not supported; choose one with --scheduler (pndm, ddim, euler, euler-a, dpm++2m, lcm)`,
      { code: 'scheduler_unsupported', param: 'scheduler', type: 'unsupported_error' },
    );
  }
  const schedulerPath = join(folder, 'scheduler', 'scheduler_config.json');
  const schedulerJson = await readJson(schedulerPath, true);
  const vaeConfig = await readJson(join(folder, 'vae_decoder', 'config.json'), false);
  const unetChannels = (await readJson(join(folder, 'unet', 'config.json'), false))?.in_channels;
  const scale = vaeConfig?.scaling_factor;
  const tokenizerFolder = join(folder, 'tokenizer');
  if (!(await exists(tokenizerFolder))) {
    throw new MmkitError(`${folder} is not a complete Stable Diffusion ONNX export: tokenizer/ is missing`, {
      code: 'model_incomplete',
      param: 'model',
      type: 'not_found_error',
    });
  }
  const secondTextEncoder = 'text_encoder_2' in index ? await readSecondEncoder(folder, index, dtypeSuffix) : undefined;
  return {
    folder,
    nameOrPath: typeof index._name_or_path === 'string' ? index._name_or_path : undefined,
    schedulerClass,
    schedulerConfig: parseSchedulerConfig(schedulerJson ?? {}, schedulerPath),
    latentScale:
      typeof scale === 'number' && scale > 0 ? scale : secondTextEncoder ? SDXL_LATENT_SCALE : DEFAULT_LATENT_SCALE,
    tokenizerFolder,
    secondTextEncoder,
    unetInChannels: typeof unetChannels === 'number' && Number.isInteger(unetChannels) ? unetChannels : undefined,
    models: {
      text_encoder: await modelFile(folder, 'text_encoder', dtypeSuffix),
      unet: await modelFile(folder, 'unet', dtypeSuffix),
      vae_decoder: await modelFile(folder, 'vae_decoder', dtypeSuffix),
    },
    vaeEncoder: await modelFile(folder, 'vae_encoder', dtypeSuffix).catch(() => undefined),
  };
}

async function readSecondEncoder(folder: string, index: Json, dtypeSuffix: string): Promise<SecondTextEncoder> {
  const tokenizerFolder = join(folder, 'tokenizer_2');
  if (!(await exists(tokenizerFolder))) {
    throw new MmkitError(`${folder} is not a complete Stable Diffusion XL ONNX export: tokenizer_2/ is missing`, {
      code: 'model_incomplete',
      param: 'model',
      type: 'not_found_error',
    });
  }
  return {
    model: await modelFile(folder, 'text_encoder_2', dtypeSuffix),
    tokenizerFolder,
    // diffusers' StableDiffusionXLPipeline defaults it to true.
    zerosForEmptyNegative: index.force_zeros_for_empty_prompt !== false,
  };
}

/**
 * SD3/Flux (a transformer instead of a UNet) and SDXL's refiner (image to image, one text encoder
 * of the XL pair) need inputs this loop does not make: one line saying so, rather than an ONNX
 * Runtime error about a missing input at the first step.
 */
function refuseOtherPipelines(index: Json, folder: string): void {
  const pipeline = typeof index._class_name === 'string' ? index._class_name : '';
  const family =
    'transformer' in index
      ? 'a diffusion-transformer (SD3/Flux-style)'
      : 'text_encoder_2' in index && !('text_encoder' in index)
        ? 'an SDXL refiner (image-to-image)'
        : undefined;
  if (!family) return;
  throw new MmkitError(
    `${folder} holds ${family} pipeline${pipeline ? ` (${pipeline})` : ''}; mmkit runs Stable Diffusion 1.x/2.x and XL text-to-image exports (e.g. onnxruntime/sd-turbo, stabilityai/sdxl-turbo)`,
    { code: 'unsupported_architecture', param: 'model', type: 'unsupported_error' },
  );
}
