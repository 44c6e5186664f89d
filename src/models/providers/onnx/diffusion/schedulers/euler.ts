/**
 * Euler's method on the probability-flow ODE dx/dσ = (x − x̂₀)/σ (Karras et al. 2022, Algorithm 2
 * with no churn): x_{σ'} = x + (σ' − σ)·(x − x̂₀)/σ. With `trailing` spacing and 1–4 steps this is
 * the SD-Turbo path (its scheduler config asks for it); `use_karras_sigmas` swaps in Karras's σ grid.
 */
import type { SchedulerConfig } from './config.ts';
import { denoisedEstimate, SigmaScheduler } from './euler-sigmas.ts';
import type { DiffusionScheduler } from './scheduler.ts';

export class EulerScheduler extends SigmaScheduler implements DiffusionScheduler {
  constructor(config: SchedulerConfig, steps: number, skip = 0) {
    super('EulerDiscreteScheduler', config, steps, config.useKarrasSigmas, skip);
  }

  needsNoise(): boolean {
    return false;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    const sigma = this.sigmas[stepIndex];
    const delta = this.sigmas[stepIndex + 1] - sigma;
    const denoised = denoisedEstimate(this.config.predictionType, sigma);
    // x + Δ·(x − x̂₀)/σ with x̂₀ = a·x + b·y is linear in x and the output y: one weight on each.
    const sampleWeight = 1 + (delta * (1 - denoised.sample)) / sigma;
    const outputWeight = (-delta * denoised.output) / sigma;
    for (let index = 0; index < sample.length; index++) {
      sample[index] = sampleWeight * sample[index] + outputWeight * modelOutput[index];
    }
  }
}
