/**
 * The set-up shared by the schedulers that move between ᾱ of integer training timesteps (DDIM,
 * PNDM, LCM): the step-count check, the ᾱ table and the ᾱ after the last timestep, which is 1 with
 * `set_alpha_to_one` or else ᾱ_0 (the schedulers differ only in the default). None of them scales
 * the UNet input; the ones that draw noise say so.
 */
import type { SchedulerConfig } from './config.ts';
import { alphasCumprod, checkSteps } from './noise-schedule.ts';
import type { SchedulerClassName } from './scheduler.ts';

export abstract class AlphaProductScheduler {
  readonly initNoiseSigma = 1;
  protected readonly cumulative: Float64Array;
  protected readonly finalAlpha: number;

  constructor(
    readonly name: SchedulerClassName,
    protected readonly config: SchedulerConfig,
    steps: number,
    alphaToOneByDefault: boolean,
  ) {
    checkSteps(steps, name, config);
    this.cumulative = alphasCumprod(config);
    this.finalAlpha = (config.setAlphaToOne ?? alphaToOneByDefault) ? 1 : this.cumulative[0];
  }

  /** ᾱ at a training timestep; past the last one (undefined or negative), the final ᾱ. */
  protected alphaAt(timestep: number | undefined): number {
    return timestep === undefined || timestep < 0 ? this.finalAlpha : this.cumulative[timestep];
  }

  abstract readonly timesteps: readonly number[];

  noiseLevel(stepIndex: number): { signal: number; noise: number } {
    const alphaProduct = this.cumulative[this.timesteps[stepIndex]];
    return { signal: Math.sqrt(alphaProduct), noise: Math.sqrt(1 - alphaProduct) };
  }

  needsNoise(_stepIndex: number): boolean {
    return false;
  }

  inputScale(_stepIndex: number): number {
    return 1;
  }
}
