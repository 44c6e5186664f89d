/**
 * The σ grid the Euler samplers walk (Karras et al. 2022's variance-exploding view of a DDPM:
 * x_σ = x₀ + σ·ε with σ_t = √((1 − ᾱ_t)/ᾱ_t)), shared by Euler and Euler ancestral.
 */
import type { PredictionType, SchedulerConfig } from './config.ts';
import {
  alphasCumprod,
  karrasSigmas,
  sigmaAt,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSigmas,
} from './noise-schedule.ts';

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

/** x / √(σ² + 1): the variance-preserving x_t the UNet was trained on. */
export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const scale = 1 / Math.sqrt(sigma * sigma + 1);
  return sample.map((value) => value * scale);
}

/** x̂₀ at noise level σ: ε-prediction x − σ·ε̂; v-prediction x/(σ²+1) − σ·v̂/√(σ²+1). */
export function denoisedAt(
  predictionType: PredictionType,
  sample: Float32Array,
  modelOutput: Float32Array,
  sigma: number,
): Float64Array {
  const result = new Float64Array(sample.length);
  if (predictionType === 'epsilon') {
    for (let index = 0; index < sample.length; index++) result[index] = sample[index] - sigma * modelOutput[index];
  } else {
    const variance = sigma * sigma + 1;
    const outputWeight = -sigma / Math.sqrt(variance);
    for (let index = 0; index < sample.length; index++) {
      result[index] = modelOutput[index] * outputWeight + sample[index] / variance;
    }
  }
  return result;
}
