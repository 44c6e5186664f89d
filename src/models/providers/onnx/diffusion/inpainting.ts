/**
 * Inpainting, two ways.
 * - Any Stable Diffusion model (the blend diffusers' legacy inpaint pipeline and RePaint's simplest
 *   form use): after every denoising step, the part of the picture to keep is put back as the
 *   encoded picture noised to the level the latents are now at, with the same noise it started
 *   from; only the masked part is denoised freely, and it grows into what surrounds it. After the
 *   last step the kept part is the encoded picture itself.
 * - An inpainting-trained UNet (9 input channels: diffusers' `StableDiffusionInpaintPipeline`) sees
 *   the mask and the picture with the masked part blanked beside the latents at every step, and
 *   draws the whole picture itself; no blend.
 */
import type { DiffusionScheduler } from './schedulers/scheduler.ts';

const VAE_FACTOR = 8;

/** The mask (0–255 per pixel, 255: repaint) as one weight per latent cell: the mean of its 8 × 8 pixels. */
export function latentMask(mask: Uint8Array, width: number, height: number): Float32Array {
  const columns = width / VAE_FACTOR;
  const rows = height / VAE_FACTOR;
  const weights = new Float32Array(columns * rows);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / VAE_FACTOR) * columns;
    for (let x = 0; x < width; x++) weights[row + Math.floor(x / VAE_FACTOR)]! += mask[y * width + x]!;
  }
  const cell = VAE_FACTOR * VAE_FACTOR * 255;
  for (let index = 0; index < weights.length; index++) weights[index]! /= cell;
  return weights;
}

/**
 * The `afterStep` hook that blends the kept part back: `clean` is the encoded picture (one image),
 * `noise` the starting noise of every image (`count` of them, in order), `weights` from `latentMask`.
 */
export function keepUnmasked(
  scheduler: DiffusionScheduler,
  clean: Float32Array,
  noise: Float32Array,
  weights: Float32Array,
): (stepIndex: number, latents: Float32Array) => void {
  const plane = weights.length;
  const imageSize = clean.length;
  return (stepIndex, latents) => {
    const last = stepIndex + 1 >= scheduler.timesteps.length;
    const level = last ? { signal: 1, noise: 0 } : scheduler.noiseLevel(stepIndex + 1);
    for (let index = 0; index < latents.length; index++) {
      const withinImage = index % imageSize;
      const repaint = weights[withinImage % plane]!;
      if (repaint === 1) continue;
      const kept = level.signal * clean[withinImage]! + level.noise * noise[index]!;
      latents[index] = repaint * latents[index]! + (1 - repaint) * kept;
    }
  };
}

/**
 * An inpainting UNet's extra input channels, `[1 + latent channels] × height/8 × width/8`, made as
 * diffusers makes them: the mask binarised at one half and sampled at each 8 × 8 block's first
 * pixel (nearest), then the latents of the picture whose pixels to repaint are set to 0 (mid grey).
 * `pixels` are planar in [−1, 1]; `encode` is the VAE encoder with the latent scaling.
 */
export async function inpaintingChannels(
  mask: Uint8Array,
  pixels: Float32Array,
  width: number,
  height: number,
  encode: (pixels: Float32Array) => Promise<Float32Array>,
): Promise<Float32Array> {
  const plane = width * height;
  const blanked = pixels.slice();
  for (let index = 0; index < plane; index++) {
    if (mask[index]! < 128) continue;
    blanked[index] = 0;
    blanked[plane + index] = 0;
    blanked[2 * plane + index] = 0;
  }
  const picture = await encode(blanked);
  const columns = width / VAE_FACTOR;
  const rows = height / VAE_FACTOR;
  const channels = new Float32Array(columns * rows + picture.length);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      channels[row * columns + column] = mask[row * VAE_FACTOR * width + column * VAE_FACTOR]! >= 128 ? 1 : 0;
    }
  }
  channels.set(picture, columns * rows);
  return channels;
}
