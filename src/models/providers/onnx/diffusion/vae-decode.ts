/**
 * Latents → RGB bytes: divide by the VAE's `scaling_factor`, run the decoder (one image per call
 * when `slicing` is on, the seed's VAE slicing: peak memory of one image instead of the batch),
 * then map [−1, 1] to 0–255 as diffusers does ((x/2 + ½)·255, clamped, rounded) and interleave
 * the planar channels.
 */
import type { OnnxPart } from './onnx-part.ts';

export interface DecodedImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export async function decodeLatents(
  vae: OnnxPart,
  latents: Float32Array,
  latentDims: readonly [number, number, number],
  latentScale: number,
  options: { slicing?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<DecodedImage[]> {
  const imageSize = latentDims[0] * latentDims[1] * latentDims[2];
  const count = latents.length / imageSize;
  const batch = options.slicing ? 1 : (vae.fixedBatch('latent_sample') ?? count);
  const images: DecodedImage[] = [];
  for (let start = 0; start < count; start += batch) {
    options.signal?.throwIfAborted();
    const size = Math.min(batch, count - start);
    const padded = vae.fixedBatch('latent_sample') ?? size;
    const input = new Float32Array(padded * imageSize);
    const source = latents.subarray(start * imageSize, (start + size) * imageSize);
    for (let index = 0; index < source.length; index++) input[index] = source[index] / latentScale;
    const { data, dims } = await vae.run({
      latent_sample: vae.tensor('latent_sample', input, [padded, ...latentDims]),
    });
    const [, channels, height, width] = dims;
    const plane = height * width;
    for (let image = 0; image < size; image++) {
      images.push({ width, height, pixels: planarToRgb(data, image * channels * plane, plane) });
    }
  }
  return images;
}

/** Planar [−1, 1] RGB → interleaved bytes; a clamped array clamps to 0–255 and rounds half to even, like numpy. */
export function planarToRgb(data: Float32Array, offset: number, plane: number): Uint8Array {
  const pixels = new Uint8ClampedArray(plane * 3);
  const red = data.subarray(offset, offset + plane);
  const green = data.subarray(offset + plane, offset + 2 * plane);
  const blue = data.subarray(offset + 2 * plane, offset + 3 * plane);
  // One pixel at a time: the writes go through memory in order.
  for (let index = 0, target = 0; index < plane; index++, target += 3) {
    pixels[target] = (red[index] / 2 + 0.5) * 255;
    pixels[target + 1] = (green[index] / 2 + 0.5) * 255;
    pixels[target + 2] = (blue[index] / 2 + 0.5) * 255;
  }
  return new Uint8Array(pixels.buffer);
}
