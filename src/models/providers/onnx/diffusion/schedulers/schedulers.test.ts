import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig } from './config.ts';
import { alphasCumprod } from './noise-schedule.ts';
import type { DiffusionScheduler } from './scheduler.ts';
import golden from './schedulers.golden.json' with { type: 'json' };
import { createScheduler, isSchedulerClassName, resolveSchedulerName } from './select.ts';

// The same toy model and noise as tools/reference/schedulers.py (which wrote the golden file).
const LENGTH = 8;
const toyModel = (input: Float32Array, step: number) =>
  Float32Array.from(input, (value, index) => 0.3 * value + 0.5 * Math.cos(0.23 * index + 0.71 * step));
const toyNoise = (step: number) =>
  Float32Array.from({ length: LENGTH }, (_, index) => Math.sin(1.3 * index + 2.1 * step + 0.5));

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const error = Math.abs(actual[index] - expected[index]);
    if (error > tolerance * Math.max(1, Math.abs(expected[index]))) {
      throw new Error(`${what}[${index}]: ${actual[index]} vs reference ${expected[index]}`);
    }
  }
}

function run(scheduler: DiffusionScheduler): Float32Array[] {
  let sample: Float32Array = Float32Array.from(
    { length: LENGTH },
    (_, index) => Math.sin(0.37 * index + 0.1) * scheduler.initNoiseSigma,
  );
  const samples = [sample];
  scheduler.timesteps.forEach((_, step) => {
    const output = toyModel(scheduler.scaleModelInput(sample, step), step);
    sample = scheduler.step(output, step, sample, scheduler.needsNoise(step) ? toyNoise(step) : undefined);
    samples.push(sample);
  });
  return samples;
}

describe('noise schedule', () => {
  for (const [schedule, entry] of Object.entries(golden.alphas_cumprod)) {
    it(`ᾱ for ${schedule} betas matches the reference`, () => {
      const cumulative = alphasCumprod(parseSchedulerConfig(entry.config as Record<string, unknown>));
      for (const [index, value] of Object.entries(entry.at))
        expectClose([cumulative[Number(index)]], [value], 1e-7, `ᾱ[${index}]`);
    });
  }

  it('PNDM on SD 1.5 with 50 steps: 51 calls from 981 down to 1, 961 repeated', () => {
    const scheduler = createScheduler('PNDMScheduler', parseSchedulerConfig(golden.cases[0].config), 50);
    expect(scheduler.timesteps).toEqual(golden.pndm_sd15_50_steps_timesteps);
    expect(scheduler.timesteps.slice(0, 4)).toEqual([981, 961, 961, 941]);
  });
});

describe.each(
  golden.cases.map((entry, index) => [`${entry.scheduler} #${index} (${entry.steps} steps)`, entry] as const),
)('%s', (_, entry) => {
  const config = parseSchedulerConfig(entry.config as Record<string, unknown>);
  if (!isSchedulerClassName(entry.scheduler)) throw new Error(entry.scheduler);

  it('timesteps, σ and the initial noise scale match the reference', () => {
    const scheduler = createScheduler(entry.scheduler as never, config, entry.steps);
    expectClose(scheduler.timesteps, entry.timesteps, 1e-6, 'timesteps');
    expectClose([scheduler.initNoiseSigma], [entry.init_noise_sigma], 1e-6, 'init noise sigma');
    if ('sigmas' in entry && entry.sigmas) {
      expectClose((scheduler as unknown as { sigmas: number[] }).sigmas, entry.sigmas, 1e-6, 'sigmas');
    }
  });

  it('every step() from the toy model matches the reference trajectory', () => {
    const samples = run(createScheduler(entry.scheduler as never, config, entry.steps));
    expect(samples.length).toBe(entry.samples.length);
    samples.forEach((sample, step) => {
      expectClose(sample, entry.samples[step], 2e-5, `sample after ${step} steps`);
    });
  });
});

describe('scheduler names', () => {
  it('accepts class names and aliases, case-insensitively', () => {
    expect(resolveSchedulerName('euler-a')).toBe('EulerAncestralDiscreteScheduler');
    expect(resolveSchedulerName('DPM++2M')).toBe('DPMSolverMultistepScheduler');
    expect(resolveSchedulerName('pndmscheduler')).toBe('PNDMScheduler');
  });

  it('rejects an unknown name with the supported list', () => {
    expect(() => resolveSchedulerName('heun')).toThrow(/unknown scheduler "heun"; supported: pndm/);
  });

  it('rejects unsupported config values in one line', () => {
    expect(() => parseSchedulerConfig({ prediction_type: 'sample' }, 'scheduler/scheduler_config.json')).toThrow(
      'scheduler/scheduler_config.json: prediction_type "sample" is not supported; supported: epsilon, v_prediction',
    );
  });
});
