/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2), the data-prediction multistep
 * solver. With α_t = 1/√(σ²+1), σ_t = σ·α_t, λ = log(α_t/σ_t), h = λ_t − λ_s:
 *   first order:  x_t = (σ_t/σ_s)·x_s − α_t·(e^{−h} − 1)·D₀
 *   second order: x_t = (σ_t/σ_s)·x_s − α_t·(e^{−h} − 1)·(D₀ + ½·D₁),  D₁ = (D₀ − D₋₁)/r, r = h₋₁/h
 * (the midpoint form), where D are the model's x̂₀ estimates. The first step has no history and the
 * last step (down to σ = 0) is first order, as diffusers does with `final_sigmas_type: zero`.
 */
import type { SchedulerConfig } from './config.ts';
import {
  alphasCumprod,
  checkSteps,
  karrasSigmas,
  linspace,
  originalEstimate,
  roundHalfEven,
  sigmaToTimestep,
  trainingSigmas,
} from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';

/** DPM-Solver's grid: `steps + 1` points with the last (t = 0) dropped, for linspace and leading. */
function dpmTimesteps(config: SchedulerConfig, steps: number): number[] {
  const count = config.numTrainTimesteps;
  const spacing = config.timestepSpacing ?? 'linspace';
  if (spacing === 'linspace')
    return linspace(0, count - 1, steps + 1)
      .map(roundHalfEven)
      .reverse()
      .slice(0, steps);
  if (spacing === 'leading') {
    const ratio = Math.floor(count / (steps + 1));
    return Array.from({ length: steps + 1 }, (_, index) => index * ratio + config.stepsOffset)
      .reverse()
      .slice(0, steps);
  }
  const ratio = count / steps;
  return Array.from({ length: steps }, (_, index) => roundHalfEven(count - index * ratio) - 1);
}

export class DpmSolverMultistepScheduler implements DiffusionScheduler {
  readonly name = 'DPMSolverMultistepScheduler' as const;
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  readonly initNoiseSigma = 1;
  /** x̂₀ of the previous step, for the second-order correction. */
  private previousDenoised: Float64Array | undefined;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
    skip = 0,
  ) {
    checkSteps(steps, this.name, config);
    const training = trainingSigmas(alphasCumprod(config));
    let timesteps = dpmTimesteps(config, steps);
    let sigmas = timesteps.map((timestep) => training[timestep]);
    if (config.useKarrasSigmas) {
      sigmas = karrasSigmas(training[0], training[training.length - 1], steps);
      timesteps = sigmas.map((sigma) => roundHalfEven(sigmaToTimestep(sigma, training)));
    }
    this.timesteps = timesteps.slice(skip);
    this.sigmas = [...sigmas.slice(skip), 0];
  }

  /** x_t = α_t·x₀ + σ_t·ε with α_t, σ_t from the step's σ. */
  noiseLevel(stepIndex: number): { signal: number; noise: number } {
    const [alpha, sigma] = alphaSigma(this.sigmas[stepIndex]);
    return { signal: alpha, noise: sigma };
  }

  needsNoise(): boolean {
    return false;
  }

  inputScale(): number {
    return 1;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): void {
    const [alphaS, sigmaS] = alphaSigma(this.sigmas[stepIndex]);
    const [alphaT, sigmaT] = alphaSigma(this.sigmas[stepIndex + 1]);
    const original = originalEstimate(this.config.predictionType, alphaS, sigmaS);
    const lambdaS = Math.log(alphaS) - Math.log(sigmaS);
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const h = lambdaT - lambdaS;
    // σ_t = 0 at the end: σ_t/σ_s = 0 and e^{−h} = 0, so x_t = x̂₀.
    const sampleWeight = sigmaT / sigmaS;
    const denoisedWeight = -alphaT * Math.expm1(-h);
    const last = stepIndex === this.timesteps.length - 1;
    const previous = this.previousDenoised;
    const secondOrder = this.config.solverOrder === 2 && previous !== undefined && !last;
    const denoised = previous ?? new Float64Array(sample.length);
    if (secondOrder) {
      const [alphaPrevious, sigmaPrevious] = alphaSigma(this.sigmas[stepIndex - 1]);
      const ratio = (lambdaS - (Math.log(alphaPrevious) - Math.log(sigmaPrevious))) / h;
      for (let index = 0; index < sample.length; index++) {
        const value = sample[index];
        const clean = original.sample * value + original.output * modelOutput[index];
        const difference = (clean - previous[index]) / ratio;
        sample[index] = sampleWeight * value + denoisedWeight * (clean + 0.5 * difference);
        denoised[index] = clean;
      }
    } else {
      for (let index = 0; index < sample.length; index++) {
        const value = sample[index];
        const clean = original.sample * value + original.output * modelOutput[index];
        sample[index] = sampleWeight * value + denoisedWeight * clean;
        denoised[index] = clean;
      }
    }
    // The same buffer every step: each element of the previous x̂₀ is read before it is replaced.
    this.previousDenoised = denoised;
  }
}

function alphaSigma(sigma: number): [number, number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}
