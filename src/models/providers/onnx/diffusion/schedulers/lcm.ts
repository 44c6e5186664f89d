/**
 * Latent Consistency Model sampling (Luo et al. 2023, Algorithm 1 / multistep consistency
 * sampling): each step maps x_t straight to a clean estimate with the consistency function
 *   f(x, t) = c_skip(t)·x + c_out(t)·x̂₀,  c_skip = σ_d²/(s² + σ_d²),  c_out = s/√(s² + σ_d²),
 * s = t·timestep_scaling, σ_d = 0.5; then, unless it is the last step, re-noises it to the next
 * timestep: x' = √ᾱ'·f + √(1−ᾱ')·z. The timesteps are drawn from the teacher's
 * `original_inference_steps`-point grid (t = k·⌊N/original⌋ − 1), spread evenly over it from the top.
 * This is the 1–4 step path of LCM-distilled models.
 */
import { AlphaProductScheduler } from './alpha-product-scheduler.ts';
import type { SchedulerConfig } from './config.ts';
import { originalEstimate } from './noise-schedule.ts';
import { type DiffusionScheduler, requireNoise } from './scheduler.ts';

const SIGMA_DATA = 0.5;

export class LcmScheduler extends AlphaProductScheduler implements DiffusionScheduler {
  readonly timesteps: readonly number[];

  constructor(config: SchedulerConfig, steps: number, skip = 0) {
    super('LCMScheduler', config, steps, true);
    const original = config.originalInferenceSteps;
    if (steps > original) {
      throw new RangeError(`${this.name}: steps must be at most original_inference_steps (${original}), got ${steps}`);
    }
    const stride = Math.floor(config.numTrainTimesteps / original);
    const teacher = Array.from({ length: original }, (_, index) => (original - index) * stride - 1);
    this.timesteps = Array.from({ length: steps }, (_, index) => teacher[Math.floor((index * original) / steps)]).slice(
      skip,
    );
  }

  override needsNoise(stepIndex: number): boolean {
    return stepIndex < this.timesteps.length - 1;
  }

  /** The consistency model's boundary-condition weights at training timestep `timestep`. */
  boundaryScalings(timestep: number): { skip: number; out: number } {
    const scaled = timestep * this.config.timestepScaling;
    const denominator = scaled * scaled + SIGMA_DATA * SIGMA_DATA;
    return { skip: (SIGMA_DATA * SIGMA_DATA) / denominator, out: scaled / Math.sqrt(denominator) };
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): void {
    const timestep = this.timesteps[stepIndex];
    const alphaProduct = this.cumulative[timestep];
    const original = originalEstimate(this.config.predictionType, Math.sqrt(alphaProduct), Math.sqrt(1 - alphaProduct));
    const { skip, out } = this.boundaryScalings(timestep);
    // f = c_out·x̂₀ + c_skip·x, itself a linear combination of x and the model output.
    const sampleWeight = out * original.sample + skip;
    const outputWeight = out * original.output;
    if (!this.needsNoise(stepIndex)) {
      for (let index = 0; index < sample.length; index++) {
        sample[index] = sampleWeight * sample[index] + outputWeight * modelOutput[index];
      }
      return;
    }
    const fresh = requireNoise(this.name, noise, sample.length);
    const alphaProductNext = this.alphaAt(this.timesteps[stepIndex + 1]);
    const signalWeight = Math.sqrt(alphaProductNext);
    const noiseWeight = Math.sqrt(1 - alphaProductNext);
    for (let index = 0; index < sample.length; index++) {
      const clean = sampleWeight * sample[index] + outputWeight * modelOutput[index];
      sample[index] = signalWeight * clean + noiseWeight * fresh[index];
    }
  }
}
