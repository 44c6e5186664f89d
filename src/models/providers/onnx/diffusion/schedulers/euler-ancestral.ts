/**
 * Euler ancestral (k-diffusion's `sample_euler_ancestral`, η = 1): each step from σ to σ' splits σ'
 * into a deterministic part σ_down and fresh noise σ_up,
 *   σ_up = √(σ'²(σ² − σ'²)/σ²),  σ_down = √(σ'² − σ_up²),
 *   x' = x + (σ_down − σ)·(x − x̂₀)/σ + σ_up·z,  z ~ N(0, I) (seeded by the caller).
 */
import type { SchedulerConfig } from './config.ts';
import { denoisedEstimate, SigmaScheduler } from './euler-sigmas.ts';
import { type DiffusionScheduler, requireNoise } from './scheduler.ts';

export class EulerAncestralScheduler extends SigmaScheduler implements DiffusionScheduler {
  constructor(config: SchedulerConfig, steps: number, skip = 0) {
    super('EulerAncestralDiscreteScheduler', config, steps, false, skip);
  }

  needsNoise(): boolean {
    return true;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): void {
    const fresh = requireNoise(this.name, noise, sample.length);
    const sigma = this.sigmas[stepIndex];
    const next = this.sigmas[stepIndex + 1];
    const up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
    const down = Math.sqrt(next * next - up * up);
    const denoised = denoisedEstimate(this.config.predictionType, sigma);
    // As in Euler, with σ_down − σ for the step: one weight on x, the output and the noise.
    const sampleWeight = 1 + ((down - sigma) * (1 - denoised.sample)) / sigma;
    const outputWeight = (-(down - sigma) * denoised.output) / sigma;
    for (let index = 0; index < sample.length; index++) {
      sample[index] = sampleWeight * sample[index] + outputWeight * modelOutput[index] + up * fresh[index];
    }
  }
}
