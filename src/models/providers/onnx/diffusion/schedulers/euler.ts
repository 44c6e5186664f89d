/**
 * Euler's method on the probability-flow ODE dx/dσ = (x − x̂₀)/σ (Karras et al. 2022, Algorithm 2
 * with no churn): x_{σ'} = x + (σ' − σ)·(x − x̂₀)/σ. With `trailing` spacing and 1–4 steps this is
 * the SD-Turbo path (its scheduler config asks for it); `use_karras_sigmas` swaps in Karras's σ grid.
 */
import type { SchedulerConfig } from './config.ts';
import { denoisedAt, eulerSchedule, scaleBySigma } from './euler-sigmas.ts';
import { checkSteps } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

export class EulerScheduler implements DiffusionScheduler {
  readonly name = 'EulerDiscreteScheduler' as const;
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  readonly initNoiseSigma: number;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
  ) {
    checkSteps(steps, this.name, config);
    const schedule = eulerSchedule(config, steps, config.useKarrasSigmas);
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.initNoiseSigma = schedule.initNoiseSigma;
  }

  needsNoise(): boolean {
    return false;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[stepIndex]);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const sigma = this.sigmas[stepIndex];
    const delta = this.sigmas[stepIndex + 1] - sigma;
    const denoised = denoisedAt(this.config.predictionType, sample, modelOutput, sigma);
    const result = new Float32Array(sample.length);
    for (let index = 0; index < sample.length; index++) {
      result[index] = sample[index] + ((sample[index] - denoised[index]) / sigma) * delta;
    }
    return result;
  }
}
