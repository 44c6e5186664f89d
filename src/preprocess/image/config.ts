/**
 * Image processor settings, read from a Hugging Face `preprocessor_config.json` (CLIP, SigLIP and
 * friends) and validated with zod, so a bad file fails with one line instead of a wrong tensor.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { describeError, MmkitError } from '../../errors.ts';
import { PIL_RESAMPLE_CODES, type ResampleFilter } from './filters.ts';

export const CLIP_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export type ResizeRule = { shortestEdge: number } | { height: number; width: number };

export interface ImageProcessorConfig {
  /** Absent: no resize. */
  resize?: ResizeRule;
  resample: ResampleFilter;
  /** Absent: no centre crop. */
  crop?: { height: number; width: number };
  /** Absent: no rescale (values stay 0..255). */
  rescaleFactor?: number;
  /** Absent: no normalisation. */
  normalize?: { mean: [number, number, number]; std: [number, number, number] };
}

/** CLIP's processor: shortest side to 224 (bicubic), centre crop 224, 1/255, CLIP mean/std. */
export function clipImageConfig(size = 224): ImageProcessorConfig {
  return {
    resize: { shortestEdge: size },
    resample: 'bicubic',
    crop: { height: size, width: size },
    rescaleFactor: 1 / 255,
    normalize: { mean: [...CLIP_IMAGE_MEAN], std: [...CLIP_IMAGE_STD] },
  };
}

const dimension = z.number().int().min(1).max(8192);
const triple = z.union([z.number(), z.array(z.number()).length(3)]);
const sizeSchema = z.union([
  dimension,
  z.object({ shortest_edge: dimension }),
  z.object({ height: dimension, width: dimension }),
]);

/** The fields we read; other keys (processor class names and the like) are ignored. */
const configSchema = z.looseObject({
  do_resize: z.boolean().optional(),
  size: sizeSchema.optional(),
  resample: z
    .number()
    .int()
    .refine((code) => code in PIL_RESAMPLE_CODES, { message: 'must be a PIL filter code 0–5' })
    .optional(),
  do_center_crop: z.boolean().optional(),
  crop_size: z.union([dimension, z.object({ height: dimension, width: dimension })]).optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().positive().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: triple.optional(),
  image_std: triple
    .refine((value) => (Array.isArray(value) ? value : [value]).every((x) => x !== 0), {
      message: 'must not contain 0',
    })
    .optional(),
  do_convert_rgb: z.boolean().optional(),
});

export type RawProcessorConfig = z.infer<typeof configSchema>;

function toTriple(value: number | number[]): [number, number, number] {
  return Array.isArray(value) ? [value[0], value[1], value[2]] : [value, value, value];
}

/**
 * Turn a parsed `preprocessor_config.json` into our settings. Defaults follow CLIP's processor, as
 * Hugging Face's image processors do for fields a file leaves out.
 */
export function parseImageProcessorConfig(value: unknown, name = 'preprocessor config'): ImageProcessorConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new MmkitError(`${name}: invalid preprocessor config: ${field}: ${issue.message}`, {
      code: 'invalid_processor_config',
      param: name,
    });
  }
  const raw = parsed.data;
  const config: ImageProcessorConfig = { resample: PIL_RESAMPLE_CODES[raw.resample ?? 3] };
  if (raw.do_resize !== false) {
    const size = raw.size ?? { shortest_edge: 224 };
    config.resize =
      typeof size === 'number'
        ? { shortestEdge: size }
        : 'shortest_edge' in size
          ? { shortestEdge: size.shortest_edge }
          : { height: size.height, width: size.width };
  }
  if (raw.do_center_crop ?? raw.crop_size !== undefined) {
    const crop = raw.crop_size ?? 224;
    config.crop = typeof crop === 'number' ? { height: crop, width: crop } : crop;
  }
  if (raw.do_rescale !== false) config.rescaleFactor = raw.rescale_factor ?? 1 / 255;
  if (raw.do_normalize !== false) {
    config.normalize = {
      mean: toTriple(raw.image_mean ?? [...CLIP_IMAGE_MEAN]),
      std: toTriple(raw.image_std ?? [...CLIP_IMAGE_STD]),
    };
  }
  return config;
}

export async function loadImageProcessorConfig(path: string): Promise<ImageProcessorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MmkitError(`${path}: cannot read preprocessor config (${describeError(error)})`, {
      code: 'invalid_processor_config',
      param: path,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MmkitError(`${path}: preprocessor config is not valid JSON (${describeError(error)})`, {
      code: 'invalid_processor_config',
      param: path,
    });
  }
  return parseImageProcessorConfig(value, path);
}

/** `--size S`: every output is S×S, whatever the processor's own sizes. */
export function withOutputSize(config: ImageProcessorConfig, size: number): ImageProcessorConfig {
  const resize: ResizeRule | undefined =
    config.resize === undefined
      ? undefined
      : 'shortestEdge' in config.resize
        ? { shortestEdge: size }
        : { height: size, width: size };
  const crop = config.crop || !resize || 'shortestEdge' in resize ? { height: size, width: size } : undefined;
  return { ...config, resize, crop };
}
