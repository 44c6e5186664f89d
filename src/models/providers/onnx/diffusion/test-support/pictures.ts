/** Pictures, masks and measures the image-to-image and inpainting tests share. */
import { isMmkitError } from '../../../../../errors.ts';
import type { InputImage } from '../../../../spec/image-generation-model.ts';

/** A picture of one colour (the tiny VAE encodes its block means). */
export function plainPicture(width: number, height: number, rgb: [number, number, number]): InputImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let index = 0; index < pixels.length; index++) pixels[index] = rgb[index % 3]!;
  return { width, height, pixels };
}

/** A mask (255: repaint) over the left half of a `width` × `height` picture. */
export function leftHalfMask(width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) mask.fill(255, y * width, y * width + width / 2);
  return mask;
}

/** Mean R, G and B of RGB pixels. */
export function channelMeans(pixels: Uint8Array): number[] {
  const sums = [0, 0, 0];
  for (let index = 0; index < pixels.length; index++) sums[index % 3]! += pixels[index]!;
  return sums.map((sum) => sum / (pixels.length / 3));
}

/** Mean R, G and B of one half (`left` or `right`) of an RGB picture `width` pixels wide. */
export function halfMeans(pixels: Uint8Array, width: number, side: 'left' | 'right'): number[] {
  const height = pixels.length / 3 / width;
  const from = side === 'left' ? 0 : width / 2;
  const half = new Uint8Array((width / 2) * height * 3);
  for (let y = 0; y < height; y++) {
    half.set(pixels.subarray((y * width + from) * 3, (y * width + from + width / 2) * 3), (y * width * 3) / 2);
  }
  return channelMeans(half);
}

/** The MmkitError a promise rejects with (anything else fails the test). */
export async function mmkitFailure(
  promise: Promise<unknown>,
): Promise<{ code: string; param: string | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, param: error.param, message: error.message };
    throw error;
  }
  throw new Error('expected an MmkitError');
}
