/**
 * `imagine`: the seed's text-to-image scenario, and image to image when given a picture to start
 * from. Optimises the prompt with a style, runs any
 * `ImageGenerationModel`, and writes each image as `gen_<timestamp>_<i>.png` carrying its
 * provenance (prompt, negative prompt, style, seed, steps, guidance, scheduler, model, mmkit
 * version) in PNG text chunks. Size is width × height (the seed's code passed height first).
 */
import { randomInt } from 'node:crypto';
import sharp from 'sharp';
import { MmkitError } from '../../errors.ts';
import { addPngText } from '../../media/png-text.ts';
import type { Timings } from '../../models/spec/common.ts';
import type {
  ImageGenerationModel,
  ImageGenerationProgress,
  PartialImages,
} from '../../models/spec/image-generation-model.ts';
import { version } from '../../version.ts';
import { timestampName, writeNewPng } from './output-files.ts';
import { checkStartOptions, loadStartImage } from './start-image.ts';
import { optimizePrompt, type StyleOptions } from './styles.ts';

export const DEFAULT_NEGATIVE_PROMPT = 'low quality, blurry, ugly, deformed, watermark';
export const IMAGINE_DEFAULTS = { width: 512, height: 512, steps: 50, guidance: 7.5, count: 1 } as const;
/** How much of a start image is redrawn when not said (diffusers' img2img default). */
export const DEFAULT_STRENGTH = 0.8;

export interface ImagineOptions extends StyleOptions {
  prompt: string;
  negativePrompt?: string | undefined;
  /** A style name (`photorealistic`, `油画`/`oil-painting`, `卡通`/`cartoon`, `水彩`/`watercolor`, `素描`/`sketch`, or a user style). */
  style?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  /** Default: the model's recommendation (SD-Turbo: 1), else 50. */
  steps?: number | undefined;
  /** Default: the model's recommendation (SD-Turbo: 0), else 7.5. ≤ 1 turns guidance off. */
  guidance?: number | undefined;
  count?: number | undefined;
  /** Image i uses seed + i; random when not given (and reported). */
  seed?: number | undefined;
  outDir: string;
  model: ImageGenerationModel;
  /** The model's name in the provenance (default: the model's description id). */
  modelName?: string | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: ImageGenerationProgress) => void) | undefined;
  /** Previews (0–3) while denoising runs, handed to `onPartialImages` (see `ImageGenerationRequest`). */
  partialImages?: number | undefined;
  onPartialImages?: ((partial: PartialImages) => void) | undefined;
  /**
   * Image to image: the encoded picture (PNG, JPEG, WebP, HEIC…) to start from. Without a size it
   * keeps its aspect ratio at about the model's usual pixel count; with one it is cropped to fill it.
   */
  image?: { bytes: Uint8Array; name: string } | undefined;
  /** How much of `image` is redrawn, above 0 up to 1 (default 0.8; 1 with a mask). */
  strength?: number | undefined;
  /**
   * Inpainting: a picture of `image`'s size whose transparent pixels (alpha 0) are repainted (OpenAI's
   * mask); the rest of `image` is kept.
   */
  mask?: { bytes: Uint8Array; name: string } | undefined;
  /** The largest picture (in pixels) `image` may decode to. */
  maxImagePixels?: number | undefined;
  /** For tests: the clock the file names come from. */
  now?: () => Date;
}

export interface ImagineImage {
  path: string;
  seed: number;
  width: number;
  height: number;
}

export interface ImagineResult {
  images: ImagineImage[];
  /** The prompt the model saw (after the style). */
  prompt: string;
  negativePrompt: string;
  style: string | undefined;
  steps: number;
  guidance: number;
  /** Image to image: how much of the picture was redrawn. */
  strength: number | undefined;
  scheduler: string;
  warnings: string[];
  timings: Timings;
  peakMemoryBytes: number | undefined;
}

export async function imagine(options: ImagineOptions): Promise<ImagineResult> {
  const { model } = options;
  if (typeof options.prompt !== 'string' || options.prompt.trim() === '') {
    throw new MmkitError('prompt must not be empty', { code: 'invalid_parameter', param: 'prompt' });
  }
  const prompt = options.style ? optimizePrompt(options.prompt, options.style, options) : options.prompt.trim();
  const negativePrompt = options.negativePrompt ?? DEFAULT_NEGATIVE_PROMPT;
  const guidance = options.guidance ?? model.recommended?.guidanceScale ?? IMAGINE_DEFAULTS.guidance;
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const warnings: string[] = [];
  if (options.negativePrompt && guidance <= 1) {
    warnings.push(`the negative prompt has no effect: guidance is ${guidance} (it needs guidance > 1)`);
  }

  const usualWidth = model.recommended?.width ?? IMAGINE_DEFAULTS.width;
  const usualHeight = model.recommended?.height ?? IMAGINE_DEFAULTS.height;
  checkStartOptions(options);
  const start =
    options.image &&
    (await loadStartImage(options.image.bytes, {
      name: options.image.name,
      width: options.width,
      height: options.height,
      usualWidth,
      usualHeight,
      maxPixels: options.maxImagePixels,
      mask: options.mask,
    }));
  const startImage = start?.image;
  // Inpainting redraws the masked part from scratch unless told otherwise (diffusers' default too).
  const strength = startImage ? (options.strength ?? (start?.mask ? 1 : DEFAULT_STRENGTH)) : undefined;
  const usualSteps = model.recommended?.steps ?? IMAGINE_DEFAULTS.steps;
  // Image to image runs ⌊steps × strength⌋ of the steps: a 1-step model needs a longer schedule to run one.
  const steps = options.steps ?? (strength === undefined ? usualSteps : Math.max(usualSteps, Math.ceil(1 / strength)));

  const result = await model.generate({
    prompt,
    negativePrompt,
    width: startImage?.width ?? options.width ?? usualWidth,
    height: startImage?.height ?? options.height ?? usualHeight,
    ...(startImage ? { image: startImage, strength } : {}),
    ...(start?.mask ? { mask: start.mask } : {}),
    steps,
    guidanceScale: guidance,
    count: options.count ?? IMAGINE_DEFAULTS.count,
    seed,
    signal: options.signal,
    onProgress: options.onProgress,
    ...(options.onPartialImages
      ? { partialImages: options.partialImages ?? 0, onPartialImages: options.onPartialImages }
      : {}),
  });
  warnings.push(...(result.warnings ?? []));

  const timestamp = timestampName(options.now?.() ?? new Date());
  const images: ImagineImage[] = [];
  for (const [index, image] of result.images.entries()) {
    const encoded = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
      .png()
      .toBuffer();
    const provenance: Record<string, string> = {
      prompt,
      negative_prompt: guidance > 1 ? negativePrompt : '',
      style: options.style ?? '',
      seed: String(image.seed),
      steps: String(steps),
      guidance: String(guidance),
      scheduler: result.scheduler,
      model: options.modelName ?? model.description.id,
      mmkit_version: version,
      size: `${image.width}x${image.height}`,
      ...(options.image ? { start_image: options.image.name, strength: String(strength) } : {}),
      ...(options.mask ? { mask: options.mask.name } : {}),
      Software: `mmkit ${version}`,
    };
    if (prompt !== options.prompt) provenance.original_prompt = options.prompt;
    const path = await writeNewPng(options.outDir, timestamp, index + 1, addPngText(encoded, provenance));
    images.push({ path, seed: image.seed, width: image.width, height: image.height });
  }
  return {
    images,
    prompt,
    negativePrompt,
    style: options.style,
    steps,
    guidance,
    strength,
    scheduler: result.scheduler,
    warnings,
    timings: result.timings,
    peakMemoryBytes: result.peakMemoryBytes,
  };
}
