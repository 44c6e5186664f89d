/**
 * Pillow's resize behind Transformers.js's `RawImage.resize`, which every one of its image
 * processors calls (CLIP, LLaVA, SigLIP, Qwen2-VL, Idefics3/SmolVLM, …). For nearest, bilinear and
 * bicubic, Transformers.js uses libvips's affine transform, which samples without widening the kernel
 * when shrinking (aliasing) and blends the border with black when enlarging; the models were trained
 * on Pillow's resize, which Hugging Face's Python processors call. Measured with CLIP's processor
 * (224, bicubic) on the four preprocessing fixtures whose centre crop falls on a whole pixel: pixels
 * off from PIL + torchvision's by a mean of 1.0–5.6 of 255 (at most 142), identical with this resize;
 * a 2×2 green image enlarged to 32×32 came out 40 % darker, and the tiny VLM named it black.
 *
 * RGB images with a Pillow filter and whole-pixel sizes take mmkit's Pillow-exact resampler; anything
 * else (grey or RGBA images, fractional sizes) keeps Transformers.js's own. The cost is in shrinking
 * very large photos, where an antialiased resize reads every source pixel: CLIP's processor took
 * 9.5 ms for a 640×427 JPEG either way, 37 ms instead of 12 ms for a 4000×3000 one.
 */
import { RawImage } from '@huggingface/transformers';
import { PIL_RESAMPLE_CODES, type ResampleFilter } from './filters.ts';
import { resizeCropRgb } from './resample.ts';

type ResizeOptions = NonNullable<Parameters<RawImage['resize']>[2]>;

const FILTER_NAMES = new Set<string>(Object.values(PIL_RESAMPLE_CODES));

function pillowFilter(resample: unknown): ResampleFilter | undefined {
  if (typeof resample === 'number') return PIL_RESAMPLE_CODES[resample];
  return typeof resample === 'string' && FILTER_NAMES.has(resample) ? (resample as ResampleFilter) : undefined;
}

let installed = false;

/** Installs the Pillow resize, once per process (every caller that loads a processor calls it). */
export function installPillowResize(): void {
  if (installed) return;
  installed = true;
  const transformersResize = RawImage.prototype.resize;
  RawImage.prototype.resize = async function resize(
    this: RawImage,
    width: number,
    height: number,
    options: ResizeOptions = {},
  ): Promise<RawImage> {
    // Transformers.js's default is bilinear.
    const filter = pillowFilter(options.resample ?? 2);
    const wholeSizes = Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0;
    if (this.channels !== 3 || filter === undefined || !wholeSizes) {
      return transformersResize.call(this, width, height, options);
    }
    if (width === this.width && height === this.height) return this;
    const resized = resizeCropRgb({ data: this.data, width: this.width, height: this.height }, width, height, filter);
    return new RawImage(resized.data, width, height, 3);
  };
}
