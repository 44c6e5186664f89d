/**
 * DDIM (Song, Meng & Ermon 2021, eq. 12) with η = 0, the deterministic sampler:
 *   x_{t−1} = √ᾱ_{t−1} · x̂₀ + √(1 − ᾱ_{t−1}) · ε̂
 * where t−1 is the next timestep of the inference grid (the paper's sub-sequence τ) and, after the
 * last one, ᾱ is 1 (`set_alpha_to_one`, DDIM's default) or ᾱ_0.
 */
import { AlphaProductScheduler } from './alpha-product-scheduler.ts';
import type { SchedulerConfig } from './config.ts';
import { noiseEstimate, originalEstimate, spacedTimesteps } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

export class DdimScheduler extends AlphaProductScheduler implements DiffusionScheduler {
  readonly timesteps: readonly number[];

  constructor(config: SchedulerConfig, steps: number, skip = 0) {
    super('DDIMScheduler', config, steps, true);
    this.timesteps = spacedTimesteps(config.timestepSpacing ?? 'leading', config, steps, true).slice(skip);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    const alphaProduct = this.cumulative[this.timesteps[stepIndex]];
    const alphaProductPrevious = this.alphaAt(this.timesteps[stepIndex + 1]);
    const alpha = Math.sqrt(alphaProduct);
    const sigma = Math.sqrt(1 - alphaProduct);
    const original = originalEstimate(this.config.predictionType, alpha, sigma);
    const noise = noiseEstimate(this.config.predictionType, alpha, sigma);
    const originalWeight = Math.sqrt(alphaProductPrevious);
    const noiseWeight = Math.sqrt(1 - alphaProductPrevious);
    if (!(this.config.clipSample ?? true)) {
      // Without clipping the step is linear in x and the output: one weight on each.
      const sampleWeight = originalWeight * original.sample + noiseWeight * noise.sample;
      const outputWeight = originalWeight * original.output + noiseWeight * noise.output;
      for (let index = 0; index < sample.length; index++) {
        sample[index] = sampleWeight * sample[index] + outputWeight * modelOutput[index];
      }
      return;
    }
    const range = this.config.clipSampleRange;
    for (let index = 0; index < sample.length; index++) {
      const value = sample[index];
      const output = modelOutput[index];
      const clean = Math.min(range, Math.max(-range, original.sample * value + original.output * output));
      sample[index] = originalWeight * clean + noiseWeight * (noise.sample * value + noise.output * output);
    }
  }
}
