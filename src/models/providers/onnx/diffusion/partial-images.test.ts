import { describe, expect, it } from 'vitest';
import { OriginalEstimator, partialImageSteps } from './partial-images.ts';
import { schedulerConfig } from './schedulers/config.ts';
import { DdimScheduler } from './schedulers/ddim.ts';
import { EulerScheduler } from './schedulers/euler.ts';
import type { DiffusionScheduler } from './schedulers/scheduler.ts';

function values(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, index) => Math.sin(seed * 12.9898 + index * 78.233) * 1.5);
}

/** What the UNet sees at `step`: the sample times the scheduler's input scale. */
function scaledInput(scheduler: DiffusionScheduler, sample: Float32Array, step: number): Float32Array {
  const scale = scheduler.inputScale(step);
  return sample.map((value) => value * scale);
}

/**
 * At the last step Euler (σ → 0) and DDIM (ᾱ_prev = 1) step straight to their own x̂₀, so the
 * estimate from the UNet's input and output must equal what the scheduler itself produced.
 */
function expectEstimateMatchesLastStep(scheduler: DiffusionScheduler, estimator: OriginalEstimator): void {
  const last = scheduler.timesteps.length - 1;
  const sample = values(64, 1);
  const output = values(64, 2);
  const stepped = Float32Array.from(sample);
  scheduler.step(output, last, stepped);
  const modelInput = scaledInput(scheduler, sample, last);
  const estimate = estimator.estimate(modelInput, output, scheduler.timesteps[last]!);
  for (let index = 0; index < sample.length; index++) expect(estimate[index]).toBeCloseTo(stepped[index]!, 4);
}

/** Mid-way, Euler's own x̂₀ is d in x' = x + (x − d)/σ·(σ' − σ): recovered from its step, at a fractional timestep. */
function expectEstimateMatchesEulerMidStep(scheduler: EulerScheduler, estimator: OriginalEstimator): void {
  const step = 3;
  expect(scheduler.timesteps[step]).toBe(499.5);
  const sample = values(64, 3);
  const output = values(64, 4);
  const stepped = Float32Array.from(sample);
  scheduler.step(output, step, stepped);
  const sigma = scheduler.sigmas[step]!;
  const next = scheduler.sigmas[step + 1]!;
  const modelInput = scaledInput(scheduler, sample, step);
  const estimate = estimator.estimate(modelInput, output, scheduler.timesteps[step]!);
  for (let index = 0; index < sample.length; index++) {
    const denoised = sample[index]! - ((stepped[index]! - sample[index]!) * sigma) / (next - sigma);
    expect(estimate[index]).toBeCloseTo(denoised, 3);
  }
}

describe('partial images', () => {
  it('spreads previews over the steps, never at the last step or twice at one', () => {
    expect(partialImageSteps(3, 10)).toEqual([3, 5, 8]);
    expect(partialImageSteps(1, 50)).toEqual([25]);
    expect(partialImageSteps(3, 3)).toEqual([1, 2]);
    expect(partialImageSteps(2, 1)).toEqual([]);
    expect(partialImageSteps(0, 50)).toEqual([]);
  });

  it('estimates x̂₀ as Euler (fractional timesteps, ε and v prediction) and DDIM reach it at their last step', () => {
    for (const predictionType of ['epsilon', 'v_prediction'] as const) {
      const config = schedulerConfig({
        betaSchedule: 'scaled_linear',
        betaStart: 0.00085,
        betaEnd: 0.012,
        predictionType,
        timestepSpacing: 'linspace',
      });
      const euler = new EulerScheduler(config, 7);
      expectEstimateMatchesLastStep(euler, new OriginalEstimator(config));
      expectEstimateMatchesEulerMidStep(euler, new OriginalEstimator(config));
      const ddimConfig = {
        ...config,
        setAlphaToOne: true,
        clipSample: false,
        timestepSpacing: 'leading' as const,
        stepsOffset: 1,
      };
      expectEstimateMatchesLastStep(new DdimScheduler(ddimConfig, 10), new OriginalEstimator(ddimConfig));
    }
  });
});
