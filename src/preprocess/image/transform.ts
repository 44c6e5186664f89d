/**
 * Decoded RGB → model input: resize, centre crop, rescale, normalise, CHW float32. Pure and
 * synchronous, so worker threads can run it. Sizes and offsets follow torchvision's rules exactly,
 * because a one-pixel shift of the crop costs more parity than any resampling detail.
 */
import type { ImageProcessorConfig } from './config.ts';
import { type CropWindow, type RgbImage, resizeCropRgb } from './resample.ts';

export interface ImageTensor {
  /** CHW float32. */
  data: Float32Array;
  shape: [3, number, number];
}

/** torchvision `Resize(int)`: short side → size, long side → int(size × long / short). */
export function resizedSize(
  width: number,
  height: number,
  rule: NonNullable<ImageProcessorConfig['resize']>,
): { width: number; height: number } {
  if (!('shortestEdge' in rule)) return { width: rule.width, height: rule.height };
  const size = rule.shortestEdge;
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** Python's round() of a half-integer: ties go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision `CenterCrop` offset along one axis: int(round((size − crop) / 2)); when the image is
 * smaller than the crop it is first zero-padded by (crop − size) // 2 before that side.
 */
export function centerCropOffset(size: number, crop: number): number {
  if (size < crop) return -Math.floor((crop - size) / 2);
  return roundHalfEven((size - crop) / 2);
}

export function cropWindow(width: number, height: number, crop: { width: number; height: number }): CropWindow {
  return {
    left: centerCropOffset(width, crop.width),
    top: centerCropOffset(height, crop.height),
    width: crop.width,
    height: crop.height,
  };
}

/** Resize and crop only: the uint8 RGB image torchvision's ToTensor would see. */
export function resizeAndCrop(image: RgbImage, config: ImageProcessorConfig): RgbImage {
  const target = config.resize ? resizedSize(image.width, image.height, config.resize) : image;
  const window = config.crop ? cropWindow(target.width, target.height, config.crop) : undefined;
  if (!window && target.width === image.width && target.height === image.height) return image;
  return resizeCropRgb(image, target.width, target.height, config.resample, window);
}

/**
 * Per-channel lookup tables from byte to normalised value, in float32 steps as torchvision takes them
 * (ToTensor's v / 255, then (x − mean) / std).
 */
function channelTables(config: ImageProcessorConfig): Float32Array[] {
  return [0, 1, 2].map((channel) => {
    const table = new Float32Array(256);
    const mean = Math.fround(config.normalize?.mean[channel] ?? 0);
    const std = Math.fround(config.normalize?.std[channel] ?? 1);
    for (let value = 0; value < 256; value++) {
      let x = value;
      // 1/255 exactly as ToTensor does it (a division), other factors as a product.
      if (config.rescaleFactor === 1 / 255) x = Math.fround(value / 255);
      else if (config.rescaleFactor !== undefined) x = Math.fround(value * config.rescaleFactor);
      if (config.normalize) x = Math.fround(Math.fround(x - mean) / std);
      table[value] = x;
    }
    return table;
  });
}

/** Interleaved uint8 RGB → planar CHW float32, written into `out` at `offset`. */
export function toChwFloat(
  image: RgbImage,
  config: ImageProcessorConfig,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const plane = image.width * image.height;
  const target = out ?? new Float32Array(3 * plane);
  const tables = channelTables(config);
  const data = image.data;
  // One channel at a time: sequential writes, one table in cache.
  for (let channel = 0; channel < 3; channel++) {
    const table = tables[channel];
    const base = offset + channel * plane;
    for (let i = 0, p = channel; i < plane; i++, p += 3) target[base + i] = table[data[p]];
  }
  return target;
}

export function transformRgb(image: RgbImage, config: ImageProcessorConfig): ImageTensor {
  const cropped = resizeAndCrop(image, config);
  return { data: toChwFloat(cropped, config), shape: [3, cropped.height, cropped.width] };
}
