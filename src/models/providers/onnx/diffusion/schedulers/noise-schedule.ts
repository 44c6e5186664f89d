/**
 * The forward-process noise schedule every scheduler shares: betas, ᾱ (alphas_cumprod), the σ of
 * the equivalent variance-exploding process, and the inference timestep grids. All in float64, as
 * diffusers computes them in numpy; rounding follows numpy's (half to even).
 */
import type { PredictionType, SchedulerConfig, TimestepSpacing } from './config.ts';

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `count` evenly spaced values from `start` to `stop` inclusive (numpy's linspace). */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, index) => (index === count - 1 ? stop : start + index * step));
}

export function betas(config: SchedulerConfig): Float64Array {
  const count = config.numTrainTimesteps;
  if (config.trainedBetas) return Float64Array.from(config.trainedBetas);
  if (config.betaSchedule === 'linear') return Float64Array.from(linspace(config.betaStart, config.betaEnd, count));
  if (config.betaSchedule === 'scaled_linear') {
    // Linear in √β: the schedule Stable Diffusion was trained with.
    return Float64Array.from(linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), count), (v) => v * v);
  }
  // Nichol & Dhariwal's cosine schedule, β capped at 0.999.
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: count }, (_, index) =>
    Math.min(1 - alphaBar((index + 1) / count) / alphaBar(index / count), 0.999),
  );
}

/** ᾱ_t = ∏_{s≤t} (1 − β_s). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const result = betas(config);
  let product = 1;
  for (let index = 0; index < result.length; index++) {
    product *= 1 - result[index];
    result[index] = product;
  }
  return result;
}

/** σ_t = √((1 − ᾱ_t) / ᾱ_t): the noise level of x_t / √ᾱ_t. */
export function trainingSigmas(cumulative: Float64Array): Float64Array {
  return cumulative.map((alpha) => Math.sqrt((1 - alpha) / alpha));
}

/** numpy's `interp` for ascending `xs`. */
export function interpolate(x: number, xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const last = xs.length - 1;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[last]) return ys[last];
  let low = 0;
  let high = last;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (xs[middle] <= x) low = middle;
    else high = middle;
  }
  const weight = (x - xs[low]) / (xs[high] - xs[low]);
  return ys[low] + weight * (ys[high] - ys[low]);
}

/** σ of a fractional training timestep, linearly interpolated. */
export function sigmaAt(timestep: number, sigmas: Float64Array): number {
  const index = Math.floor(timestep);
  if (index >= sigmas.length - 1) return sigmas[sigmas.length - 1];
  if (index < 0) return sigmas[0];
  return sigmas[index] + (timestep - index) * (sigmas[index + 1] - sigmas[index]);
}

/** Karras et al. (2022), eq. 5: σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, ρ = 7. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number, rho = 7): number[] {
  const minInverse = sigmaMin ** (1 / rho);
  const maxInverse = sigmaMax ** (1 / rho);
  return linspace(0, 1, count).map((ramp) => (maxInverse + ramp * (minInverse - maxInverse)) ** rho);
}

/** The fractional training timestep whose σ is `sigma`, interpolating linearly in log σ. */
export function sigmaToTimestep(sigma: number, sigmas: Float64Array): number {
  const logSigma = Math.log(sigma);
  const logs = Array.from(sigmas, Math.log);
  let low = 0;
  for (let index = 0; index < logs.length; index++) if (logSigma >= logs[index]) low = index;
  low = Math.min(low, logs.length - 2);
  const weight = Math.min(1, Math.max(0, (logs[low] - logSigma) / (logs[low] - logs[low + 1])));
  return (1 - weight) * low + weight * (low + 1);
}

/**
 * The inference timesteps, descending. `linspace`: evenly over [0, N−1]; `leading`: multiples of
 * ⌊N/steps⌋ plus `steps_offset`; `trailing`: counted down from N (so the first step is pure noise,
 * t = N−1, what distilled models like SD-Turbo need). `integer` rounds linspace grids (DDIM/PNDM);
 * Euler keeps them fractional and interpolates σ.
 */
export function spacedTimesteps(
  spacing: TimestepSpacing,
  config: SchedulerConfig,
  steps: number,
  integer: boolean,
): number[] {
  const count = config.numTrainTimesteps;
  if (spacing === 'linspace') {
    const grid = linspace(0, count - 1, steps).reverse();
    return integer ? grid.map(roundHalfEven) : grid;
  }
  if (spacing === 'leading') {
    const ratio = Math.floor(count / steps);
    return Array.from({ length: steps }, (_, index) => index * ratio + config.stepsOffset).reverse();
  }
  const ratio = count / steps;
  return Array.from({ length: steps }, (_, index) => roundHalfEven(count - index * ratio) - 1);
}

/** A per-element estimate as a linear combination of x_t and the model output: sample·x + output·y. */
export interface LinearEstimate {
  sample: number;
  output: number;
}

/**
 * The model's estimate of the clean sample x₀ from x_t = α·x₀ + σ·ε (α = √ᾱ_t, σ = √(1−ᾱ_t)):
 * ε-prediction gives x₀ = (x_t − σ·ε̂)/α; v-prediction (v = α·ε − σ·x₀) gives x₀ = α·x_t − σ·v̂.
 * As weights, so that a step is one pass over the latents with no intermediate arrays.
 */
export function originalEstimate(predictionType: PredictionType, alpha: number, sigma: number): LinearEstimate {
  return predictionType === 'epsilon'
    ? { sample: 1 / alpha, output: -sigma / alpha }
    : { sample: alpha, output: -sigma };
}

/** The model's estimate of ε from the same decomposition (v-prediction: ε = α·v̂ + σ·x_t). */
export function noiseEstimate(predictionType: PredictionType, alpha: number, sigma: number): LinearEstimate {
  return predictionType === 'epsilon' ? { sample: 0, output: 1 } : { sample: sigma, output: alpha };
}

export function checkSteps(steps: number, name: string, config: SchedulerConfig): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > config.numTrainTimesteps) {
    throw new RangeError(`${name}: steps must be an integer in 1..${config.numTrainTimesteps}, got ${steps}`);
  }
}
