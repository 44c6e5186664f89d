/**
 * DDIM (Song, Meng & Ermon 2021, eq. 12) with η = 0, the deterministic sampler:
 *   x_{t−1} = √ᾱ_{t−1} · x̂₀ + √(1 − ᾱ_{t−1}) · ε̂
 * where t−1 is the next timestep of the inference grid (the paper's sub-sequence τ) and, after the
 * last one, ᾱ is 1 (`set_alpha_to_one`, DDIM's default) or ᾱ_0.
 */
import type { SchedulerConfig } from './config.ts';
import { alphasCumprod, checkSteps, predictNoise, predictOriginal, spacedTimesteps } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

export class DdimScheduler implements DiffusionScheduler {
  readonly name = 'DDIMScheduler' as const;
  readonly timesteps: readonly number[];
  readonly initNoiseSigma = 1;
  private readonly cumulative: Float64Array;
  private readonly finalAlpha: number;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
  ) {
    checkSteps(steps, this.name, config);
    this.cumulative = alphasCumprod(config);
    this.finalAlpha = (config.setAlphaToOne ?? true) ? 1 : this.cumulative[0];
    this.timesteps = spacedTimesteps(config.timestepSpacing ?? 'leading', config, steps, true);
  }

  needsNoise(): boolean {
    return false;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const alphaProduct = this.cumulative[this.timesteps[stepIndex]];
    const next = this.timesteps[stepIndex + 1];
    const alphaProductPrevious = next === undefined ? this.finalAlpha : this.cumulative[next];
    const alpha = Math.sqrt(alphaProduct);
    const sigma = Math.sqrt(1 - alphaProduct);
    const original = predictOriginal(this.config.predictionType, sample, modelOutput, alpha, sigma);
    const noise = predictNoise(this.config.predictionType, sample, modelOutput, alpha, sigma);
    if (this.config.clipSample ?? true) {
      const range = this.config.clipSampleRange;
      for (let index = 0; index < original.length; index++) {
        original[index] = Math.min(range, Math.max(-range, original[index]));
      }
    }
    const originalWeight = Math.sqrt(alphaProductPrevious);
    const noiseWeight = Math.sqrt(1 - alphaProductPrevious);
    const result = new Float32Array(sample.length);
    for (let index = 0; index < sample.length; index++) {
      result[index] = originalWeight * original[index] + noiseWeight * noise[index];
    }
    return result;
  }
}
