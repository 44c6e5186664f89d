/**
 * Previews while denoising runs (OpenAI's `partial_images`): at a few steps the UNet's input and
 * output give the model's current estimate of the clean latents x̂₀, which the VAE decodes into a
 * recognisable, still soft image. Done outside the schedulers: every scheduler's UNet input is x_t
 * of the variance-preserving process (Euler's `inputScale` turns its σ-scaled sample back
 * into it), so x̂₀ follows from ᾱ at the step's (possibly fractional) timestep alone.
 */
import type { SchedulerConfig } from './schedulers/config.ts';
import { alphasCumprod, interpolate, originalEstimate, trainingSigmas } from './schedulers/noise-schedule.ts';

export const MAX_PARTIAL_IMAGES = 3;

/**
 * After which steps (1-based) to make `count` previews out of `total` steps: evenly spread, never
 * the last step (its result is the final image), never the same step twice.
 */
export function partialImageSteps(count: number, total: number): number[] {
  const steps = new Set<number>();
  for (let index = 1; index <= count; index++) {
    const step = Math.round((total * index) / (count + 1));
    if (step >= 1 && step < total) steps.add(step);
  }
  return [...steps].sort((a, b) => a - b);
}

/** x̂₀ from one step's UNet input x_t and its (guided) output at `timestep`. */
export class OriginalEstimator {
  private readonly sigmas: Float64Array;
  private readonly timesteps: Float64Array;

  constructor(private readonly config: SchedulerConfig) {
    this.sigmas = trainingSigmas(alphasCumprod(config));
    this.timesteps = Float64Array.from(this.sigmas, (_, index) => index);
  }

  estimate(modelInput: Float32Array, modelOutput: Float32Array, timestep: number): Float32Array {
    // σ of the variance-exploding form (as Euler interpolates it), then ᾱ = 1 / (1 + σ²).
    const sigma = interpolate(timestep, this.timesteps, this.sigmas);
    const alpha = 1 / Math.sqrt(1 + sigma * sigma);
    const weights = originalEstimate(this.config.predictionType, alpha, sigma * alpha);
    return Float32Array.from(
      modelInput,
      (value, index) => weights.sample * value + weights.output * (modelOutput[index] as number),
    );
  }
}
