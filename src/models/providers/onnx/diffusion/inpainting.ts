/**
 * Inpainting with any Stable Diffusion model (the blend diffusers' legacy inpaint pipeline and
 * RePaint's simplest form use): after every denoising step, the part of the picture to keep is put
 * back as the encoded picture noised to the level the latents are now at, with the same noise it
 * started from; only the masked part is denoised freely, and it grows into what surrounds it. After
 * the last step the kept part is the encoded picture itself. Inpainting-trained UNets (9 input
 * channels) are not needed; they are not run either.
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
