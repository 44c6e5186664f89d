/**
 * `mmkit imagine PROMPT`: text to image with a Stable Diffusion ONNX export, or image to image with
 * `--image`. A thin shell over the `imagine` task and `OnnxImageGenerationModel`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MmkitError } from '../../errors.ts';
import { loadConfig } from '../../models/config.ts';
import { readImageFile } from '../../preprocess/image/decode.ts';
import { DEFAULT_NEGATIVE_PROMPT, DEFAULT_STRENGTH, IMAGINE_DEFAULTS, imagine } from '../../tasks/imagine/imagine.ts';
import { styleNames, styleTemplate } from '../../tasks/imagine/styles.ts';
import { loadCliModel, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson, progressBar } from '../output.ts';

export const DEFAULT_IMAGE_MODEL = 'onnxruntime/sd-turbo';
export const DEFAULT_OUT_DIR = './generated_images';

interface ImagineCommandOptions {
  negative?: string;
  style?: string;
  size?: { width: number; height: number };
  steps?: number;
  guidance?: number;
  count?: number;
  seed?: number;
  image?: string;
  strength?: number;
  mask?: string;
  scheduler?: string;
  model?: string;
  config?: string;
  dtype?: 'fp32' | 'fp16';
  vaeSlicing?: boolean;
  out: string;
  json?: boolean;
}

/** `--size 768x512` → width 768, height 512. */
export function parseSize(value: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*[x×X*]\s*(\d+)\s*$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--size must be WIDTHxHEIGHT, e.g. 512x512 or 768x512, got '${value}'`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function registerImagineCommand(program: Command): void {
  program
    .command('imagine')
    .description(
      [
        'Generate images from a text prompt with Stable Diffusion (ONNX). Writes gen_<timestamp>_<i>.png with',
        'the prompt, seed and settings in PNG text chunks.',
        `Default model ${DEFAULT_IMAGE_MODEL}: 1 step, no guidance unless you set --steps/--guidance.`,
        `Other models (e.g. an SD 1.5 ONNX export via --model) get the seed's defaults:`,
        `${IMAGINE_DEFAULTS.steps} steps, guidance ${IMAGINE_DEFAULTS.guidance}.`,
      ].join(' '),
    )
    .argument('<prompt>', 'what to draw')
    .option('--negative <text>', `what to avoid, used when guidance > 1 (default "${DEFAULT_NEGATIVE_PROMPT}")`)
    .option('--style <name>', `prompt style: ${styleNames().join(', ')}`)
    .option(
      '--size <WxH>',
      "image size as WIDTH x HEIGHT in pixels, multiples of 8 (default 512x512; with --image, the picture's aspect ratio)",
      parseSize,
    )
    .option('--image <file>', 'start from this picture (image to image): it is redrawn after the prompt')
    .option(
      '--mask <file>',
      'with --image, inpaint: a picture of the same size whose transparent pixels are repainted (the rest is kept)',
    )
    .option(
      '--strength <s>',
      `with --image, how much of the picture is redrawn, above 0 up to 1 (default ${DEFAULT_STRENGTH}, 1 with --mask): ⌊steps × strength⌋ steps run`,
      numberOption('--strength', { min: 0, max: 1 }),
    )
    .option(
      '--steps <n>',
      "denoising steps (default: the model's, else 50)",
      numberOption('--steps', { integer: true, min: 1, max: 1000 }),
    )
    .option(
      '--guidance <g>',
      "classifier-free guidance scale; ≤ 1 turns it off (default: the model's, else 7.5)",
      numberOption('--guidance', { min: 0, max: 100 }),
    )
    .option(
      '-n, --count <count>',
      'images to generate, 1–4',
      numberOption('--count', { integer: true, min: 1, max: 4 }),
      1,
    )
    .option(
      '--seed <s>',
      'seed for reproducible images (image i uses seed + i; random if not set)',
      numberOption('--seed', { integer: true, min: 0, max: 2 ** 52 }),
    )
    .option('--scheduler <name>', 'pndm, ddim, euler, euler-a, dpm++2m, lcm (default: the one model_index.json names)')
    .option(
      '--model <id|dir>',
      `Stable Diffusion ONNX export: Hub id, local folder, openai:MODEL@URL or a config name (default ${DEFAULT_IMAGE_MODEL})`,
    )
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json); its "styles" adds your own styles')
    .addOption(new Option('--dtype <dtype>', 'weights where the export has both').choices(['fp32', 'fp16']))
    .option('--vae-slicing', 'decode images one at a time (less memory for -n > 1)')
    .option('--out <dir>', 'output folder', DEFAULT_OUT_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (prompt: string, options: ImagineCommandOptions) => {
      const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
      const styles = config.styles;
      if (options.style) styleTemplate(options.style, { styles }); // An unknown style fails before the model loads.
      if (options.strength !== undefined && options.image === undefined) {
        throw new MmkitError('--strength is for image to image: give --image FILE to start from', {
          code: 'invalid_parameter',
          param: '--strength',
        });
      }
      if (options.mask !== undefined && options.image === undefined) {
        throw new MmkitError('--mask is for inpainting: give --image FILE it applies to', {
          code: 'invalid_parameter',
          param: '--mask',
        });
      }
      // A missing or unreadable picture fails before the model loads too.
      const image =
        options.image === undefined ? undefined : { bytes: await readImageFile(options.image), name: options.image };
      const mask =
        options.mask === undefined ? undefined : { bytes: await readImageFile(options.mask), name: options.mask };
      const controller = new AbortController();
      const interrupt = () =>
        controller.abort(new MmkitError('image generation interrupted; nothing was written', { code: 'interrupted' }));
      process.once('SIGINT', interrupt);
      let bar: ReturnType<typeof progressBar> | undefined;
      try {
        const model = await loadCliModel('imageGeneration', options, {
          dtype: options.dtype,
          scheduler: options.scheduler,
          vaeSlicing: options.vaeSlicing,
        });
        try {
          const result = await imagine({
            prompt,
            negativePrompt: options.negative,
            style: options.style,
            styles,
            width: options.size?.width,
            height: options.size?.height,
            steps: options.steps,
            guidance: options.guidance,
            count: options.count,
            seed: options.seed,
            image,
            mask,
            strength: options.strength,
            outDir: options.out,
            model,
            modelName: options.model ?? model.description.id,
            signal: controller.signal,
            onProgress: ({ step, totalSteps }) => {
              bar ??= progressBar('denoising', totalSteps, { json: options.json });
              bar.update(step);
            },
          });
          bar?.finish();
          if (options.json) {
            printJson({
              images: result.images.map(({ path, seed, width, height }) => ({ path, seed, width, height })),
              prompt: result.prompt,
              negative_prompt: result.guidance > 1 ? result.negativePrompt : null,
              style: result.style ?? null,
              steps: result.steps,
              guidance: result.guidance,
              start_image: options.image ?? null,
              mask: options.mask ?? null,
              strength: result.strength ?? null,
              scheduler: result.scheduler,
              model: options.model ?? model.description.id,
              warnings: result.warnings,
              timings: result.timings,
              peak_memory_bytes: result.peakMemoryBytes ?? null,
            });
            return;
          }
          for (const warning of result.warnings) process.stderr.write(`mmkit: warning: ${warning}\n`);
          for (const image of result.images) process.stdout.write(`${image.path}  (seed ${image.seed})\n`);
        } finally {
          await releaseModels([model]);
        }
      } finally {
        bar?.finish();
        process.removeListener('SIGINT', interrupt);
      }
    });
}
