/**
 * Latents → RGB bytes: divide by the VAE's `scaling_factor`, run the decoder (one image per call
 * when `slicing` is on, the seed's VAE slicing: peak memory of one image instead of the batch),
 * then map [−1, 1] to 0–255 as diffusers does (x/2 + ½, clamped, × 255, rounded) and interleave
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
      const offset = image * channels * plane;
      const pixels = new Uint8Array(plane * 3);
      for (let channel = 0; channel < 3; channel++) {
        const base = offset + channel * plane;
        for (let index = 0; index < plane; index++) {
          const value = data[base + index] / 2 + 0.5;
          pixels[index * 3 + channel] = Math.round((value < 0 ? 0 : value > 1 ? 1 : value) * 255);
        }
      }
      images.push({ width, height, pixels });
    }
  }
  return images;
}
