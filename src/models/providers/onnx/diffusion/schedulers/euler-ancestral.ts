/**
 * Euler ancestral (k-diffusion's `sample_euler_ancestral`, η = 1): each step from σ to σ' splits σ'
 * into a deterministic part σ_down and fresh noise σ_up,
 *   σ_up = √(σ'²(σ² − σ'²)/σ²),  σ_down = √(σ'² − σ_up²),
 *   x' = x + (σ_down − σ)·(x − x̂₀)/σ + σ_up·z,  z ~ N(0, I) (seeded by the caller).
 */
import type { SchedulerConfig } from './config.ts';
import { denoisedAt, eulerSchedule, scaleBySigma } from './euler-sigmas.ts';
import { checkSteps } from './noise-schedule.ts';
import { type DiffusionScheduler, requireNoise } from './scheduler.ts';

export class EulerAncestralScheduler implements DiffusionScheduler {
  readonly name = 'EulerAncestralDiscreteScheduler' as const;
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  readonly initNoiseSigma: number;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
  ) {
    checkSteps(steps, this.name, config);
    const schedule = eulerSchedule(config, steps, false);
    this.timesteps = schedule.timesteps;
    this.sigmas = schedule.sigmas;
    this.initNoiseSigma = schedule.initNoiseSigma;
  }

  needsNoise(): boolean {
    return true;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[stepIndex]);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    const fresh = requireNoise(this.name, noise, sample.length);
    const sigma = this.sigmas[stepIndex];
    const next = this.sigmas[stepIndex + 1];
    const up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
    const down = Math.sqrt(next * next - up * up);
    const denoised = denoisedAt(this.config.predictionType, sample, modelOutput, sigma);
    const result = new Float32Array(sample.length);
    for (let index = 0; index < sample.length; index++) {
      const derivative = (sample[index] - denoised[index]) / sigma;
      result[index] = sample[index] + derivative * (down - sigma) + fresh[index] * up;
    }
    return result;
  }
}
