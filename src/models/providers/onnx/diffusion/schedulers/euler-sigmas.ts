/**
 * The σ grid the Euler samplers walk (Karras et al. 2022's variance-exploding view of a DDPM:
 * x_σ = x₀ + σ·ε with σ_t = √((1 − ᾱ_t)/ᾱ_t)), and the set-up Euler and Euler ancestral share.
 */
import type { PredictionType, SchedulerConfig } from './config.ts';
import {
  alphasCumprod,
  checkSteps,
  karrasSigmas,
  type LinearEstimate,
  sigmaAt,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSigmas,
} from './noise-schedule.ts';
import type { SchedulerClassName } from './scheduler.ts';

export interface SigmaSchedule {
  /** Fractional training timesteps, descending. */
  timesteps: number[];
  /** One σ per timestep, then a final 0. */
  sigmas: number[];
  initNoiseSigma: number;
}

export function eulerSchedule(config: SchedulerConfig, steps: number, karras: boolean): SigmaSchedule {
  const spacing = config.timestepSpacing ?? 'linspace';
  const training = trainingSigmas(alphasCumprod(config));
  let timesteps = spacedTimesteps(spacing, config, steps, false);
  let sigmas = timesteps.map((timestep) => sigmaAt(timestep, training));
  if (karras) {
    sigmas = karrasSigmas(sigmas[sigmas.length - 1], sigmas[0], steps);
    timesteps = sigmas.map((sigma) => sigmaToTimestep(sigma, training));
  }
  const maximum = Math.max(...sigmas);
  // diffusers' rule: σ_max for linspace/trailing grids, √(σ_max² + 1) for leading ones.
  const initNoiseSigma = spacing === 'leading' ? Math.sqrt(maximum * maximum + 1) : maximum;
  return { timesteps, sigmas: [...sigmas, 0], initNoiseSigma };
}

/** x̂₀ at noise level σ as weights on x and the output: ε-prediction x − σ·ε̂; v-prediction x/(σ²+1) − σ·v̂/√(σ²+1). */
export function denoisedEstimate(predictionType: PredictionType, sigma: number): LinearEstimate {
  if (predictionType === 'epsilon') return { sample: 1, output: -sigma };
  const variance = sigma * sigma + 1;
  return { sample: 1 / variance, output: -sigma / Math.sqrt(variance) };
}

/** Euler and Euler ancestral: the σ grid, and the UNet input x / √(σ² + 1), the variance-preserving x_t it was trained on. */
export abstract class SigmaScheduler {
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  readonly initNoiseSigma: number;

  constructor(
    readonly name: SchedulerClassName,
    protected readonly config: SchedulerConfig,
    steps: number,
    karras: boolean,
    skip: number,
  ) {
    checkSteps(steps, name, config);
    const schedule = eulerSchedule(config, steps, karras);
    this.timesteps = schedule.timesteps.slice(skip);
    this.sigmas = schedule.sigmas.slice(skip);
    this.initNoiseSigma = schedule.initNoiseSigma;
  }

  /** Karras's x_σ = x₀ + σ·ε. */
  noiseLevel(stepIndex: number): { signal: number; noise: number } {
    return { signal: 1, noise: this.sigmas[stepIndex] };
  }

  inputScale(stepIndex: number): number {
    const sigma = this.sigmas[stepIndex];
    return 1 / Math.sqrt(sigma * sigma + 1);
  }
}
