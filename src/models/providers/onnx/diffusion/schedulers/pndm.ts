/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on
 * Manifolds"), Stable Diffusion 1.x's default scheduler with `skip_prk_steps`: a linear multistep
 * (Adams–Bashforth) combination of the last noise estimates,
 *   ε' = ε₀ (first), (3ε₁ − ε₀)/2, (23ε₂ − 16ε₁ + 5ε₀)/12, (55ε₃ − 59ε₂ + 37ε₁ − 9ε₀)/24,
 * fed to the transfer φ(x_t, ε', t → t−δ) (the paper's eq. 11):
 *   x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t)·x_t − (ᾱ_{t−δ} − ᾱ_t)·ε' / (ᾱ_t·√(1−ᾱ_{t−δ}) + √(ᾱ_t(1−ᾱ_t)ᾱ_{t−δ})).
 * The warm-up is the improved-Euler step the diffusers implementation uses in place of Runge–Kutta:
 * the first step runs twice (the second time with the mean of ε at both ends), so `steps` inference
 * steps take steps + 1 UNet calls and the second timestep repeats. Without `skip_prk_steps` the same
 * PLMS path runs (the Runge–Kutta warm-up is not implemented).
 */
import type { SchedulerConfig } from './config.ts';
import { alphasCumprod, checkSteps, spacedTimesteps } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

export class PndmScheduler implements DiffusionScheduler {
  readonly name = 'PNDMScheduler' as const;
  readonly timesteps: readonly number[];
  readonly initNoiseSigma = 1;
  private readonly grid: number[];
  private readonly cumulative: Float64Array;
  private readonly finalAlpha: number;
  /** Raw model outputs of the multistep history, oldest first (at most four). */
  private history: Float32Array[] = [];
  private firstSample: Float32Array | undefined;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
  ) {
    checkSteps(steps, this.name, config);
    this.cumulative = alphasCumprod(config);
    this.finalAlpha = (config.setAlphaToOne ?? false) ? 1 : this.cumulative[0];
    this.grid = spacedTimesteps(config.timestepSpacing ?? 'leading', config, steps, true);
    this.timesteps = steps === 1 ? [...this.grid] : [this.grid[0], this.grid[1], ...this.grid.slice(1)];
  }

  needsNoise(): boolean {
    return false;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    if (stepIndex === 1 && this.grid.length > 1) {
      // The warm-up's second evaluation: redo the first transfer with the mean of both estimates.
      const first = this.history[0];
      const mean = modelOutput.map((value, index) => (value + first[index]) / 2);
      return this.transfer(this.firstSample!, mean, this.grid[0], this.grid[1]);
    }
    if (stepIndex === 0) this.firstSample = sample;
    this.history.push(modelOutput);
    if (this.history.length > 4) this.history.shift();
    const from = this.grid[Math.max(0, stepIndex - 1)];
    const to = this.grid[Math.max(1, stepIndex)];
    return this.transfer(sample, combine(this.history), from, to);
  }

  /** φ(x, ε, from → to); `to` undefined means past the last timestep. */
  private transfer(sample: Float32Array, output: Float32Array, from: number, to: number | undefined): Float32Array {
    const alphaProduct = this.cumulative[from];
    const alphaProductPrevious = to === undefined ? this.finalAlpha : this.cumulative[to];
    const betaProduct = 1 - alphaProduct;
    const betaProductPrevious = 1 - alphaProductPrevious;
    const sampleWeight = Math.sqrt(alphaProductPrevious / alphaProduct);
    const noiseWeight =
      (alphaProductPrevious - alphaProduct) /
      (alphaProduct * Math.sqrt(betaProductPrevious) + Math.sqrt(alphaProduct * betaProduct * alphaProductPrevious));
    const velocity = this.config.predictionType === 'v_prediction';
    const result = new Float32Array(sample.length);
    for (let index = 0; index < sample.length; index++) {
      const noise = velocity
        ? Math.sqrt(alphaProduct) * output[index] + Math.sqrt(betaProduct) * sample[index]
        : output[index];
      result[index] = sampleWeight * sample[index] - noiseWeight * noise;
    }
    return result;
  }
}

/** The Adams–Bashforth combination of up to four outputs (oldest first). */
function combine(history: readonly Float32Array[]): Float32Array {
  const result = new Float32Array(history[0].length);
  const [a, b, c, d] = history;
  switch (history.length) {
    case 1:
      result.set(a);
      break;
    case 2:
      for (let index = 0; index < result.length; index++) result[index] = (3 * b[index] - a[index]) / 2;
      break;
    case 3:
      for (let index = 0; index < result.length; index++) {
        result[index] = (23 * c[index] - 16 * b[index] + 5 * a[index]) / 12;
      }
      break;
    default:
      for (let index = 0; index < result.length; index++) {
        result[index] = (55 * d[index] - 59 * c[index] + 37 * b[index] - 9 * a[index]) / 24;
      }
  }
  return result;
}
