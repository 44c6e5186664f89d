import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig } from './config.ts';
import { alphasCumprod } from './noise-schedule.ts';
import prkGolden from './pndm-prk.golden.json' with { type: 'json' };
import type { DiffusionScheduler } from './scheduler.ts';
import golden from './schedulers.golden.json' with { type: 'json' };
import {
  createScheduler,
  isSchedulerClassName,
  resolveSchedulerName,
  SCHEDULER_CLASS_NAMES,
  stepsAtStrength,
} from './select.ts';

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
  const sample = Float32Array.from(
    { length: LENGTH },
    (_, index) => Math.sin(0.37 * index + 0.1) * scheduler.initNoiseSigma,
  );
  const samples = [sample.slice()];
  scheduler.timesteps.forEach((_, step) => {
    const scale = scheduler.inputScale(step);
    const output = toyModel(
      sample.map((value) => value * scale),
      step,
    );
    scheduler.step(output, step, sample, scheduler.needsNoise(step) ? toyNoise(step) : undefined);
    // The caller may reuse the output buffer: poison it to catch a scheduler that kept it.
    output.fill(Number.NaN);
    samples.push(sample.slice());
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

// Written by tools/reference/pndm_prk.py from the PNDM paper's eq. 11–13, in torch float64.
describe('PNDM with its pseudo Runge–Kutta warm-up (skip_prk_steps false)', () => {
  it('SD 1.5, 50 steps: three warm-up steps of four calls (t, t−δ/2, t−δ/2, t−δ), then PLMS: 59 calls', () => {
    const config = parseSchedulerConfig({ ...golden.cases[0].config, skip_prk_steps: false });
    const scheduler = createScheduler('PNDMScheduler', config, 50);
    expect(scheduler.timesteps).toEqual(prkGolden.sd15_50_steps_timesteps);
    expect(scheduler.timesteps.slice(0, 14)).toEqual([
      981, 971, 971, 961, 961, 951, 951, 941, 941, 931, 931, 921, 921, 901,
    ]);
  });

  it('a config without skip_prk_steps warms up with Runge–Kutta (the diffusers default)', () => {
    const scheduler = createScheduler('PNDMScheduler', parseSchedulerConfig({}), 5);
    expect(scheduler.timesteps).toEqual([800, 700, 700, 600, 600, 500, 500, 400, 400, 300, 300, 200, 200, 0]);
  });

  for (const entry of prkGolden.cases) {
    const label = `${JSON.stringify(entry.config).slice(0, 60)}…, ${entry.steps} steps`;
    it(`every call's sample matches the reference trajectory: ${label}`, () => {
      const scheduler = createScheduler(
        'PNDMScheduler',
        parseSchedulerConfig(entry.config as Record<string, unknown>),
        entry.steps,
      );
      expect(scheduler.timesteps).toEqual(entry.timesteps);
      const samples = run(scheduler);
      expect(samples.length).toBe(entry.samples.length);
      samples.forEach((sample, call) => {
        expectClose(sample, entry.samples[call], 2e-5, `sample after ${call} calls`);
      });
    });
  }

  it('differs from the improved-Euler warm-up of skip_prk_steps', () => {
    const config = parseSchedulerConfig(golden.cases[0].config);
    const skipping = run(createScheduler('PNDMScheduler', config, 10));
    const rungeKutta = run(createScheduler('PNDMScheduler', { ...config, skipPrkSteps: false }, 10));
    expect(rungeKutta.length).toBe(20);
    expect(skipping.length).toBe(12);
    expect(Math.abs(rungeKutta[19][0] - skipping[11][0])).toBeGreaterThan(1e-4);
  });
});

describe('image to image: the last ⌊steps·strength⌋ steps of the grid', () => {
  const config = parseSchedulerConfig(golden.cases[0].config);

  it('counts steps as diffusers does', () => {
    expect(stepsAtStrength(50, 0.8)).toBe(40);
    expect(stepsAtStrength(10, 0.7)).toBe(7);
    expect(stepsAtStrength(2, 0.5)).toBe(1);
    expect(stepsAtStrength(3, 0.3)).toBe(0);
    expect(stepsAtStrength(4, 1)).toBe(4);
  });

  for (const name of SCHEDULER_CLASS_NAMES.filter((name) => name !== 'PNDMScheduler')) {
    it(`${name}: strength 0.6 of 10 steps runs the full grid's last 6, from a variance-preserving start`, () => {
      const full = createScheduler(name, config, 10);
      const partial = createScheduler(name, config, 10, 0.6);
      expect(partial.timesteps).toEqual(full.timesteps.slice(4));
      // What the UNet sees at the first step: signal·x₀ + noise·ε scaled by the input scale, of unit variance.
      const { signal, noise } = partial.noiseLevel(0);
      const scale = partial.inputScale(0);
      expect((signal * scale) ** 2 + (noise * scale) ** 2).toBeCloseTo(1, 6);
      // Less strength, less noise over the image.
      const weaker = createScheduler(name, config, 10, 0.3).noiseLevel(0);
      expect(weaker.noise / weaker.signal).toBeLessThan(noise / signal);
    });
  }

  for (const name of ['DDIMScheduler', 'EulerDiscreteScheduler'] as const) {
    it(`${name}: the shortened run is the full run's tail, step for step`, () => {
      const start = Float32Array.from({ length: LENGTH }, (_, index) => Math.cos(0.5 * index));
      const tail = (scheduler: DiffusionScheduler, from: number) => {
        const sample = start.slice();
        for (let step = from; step < scheduler.timesteps.length; step++) {
          const output = toyModel(
            sample.map((value) => value * scheduler.inputScale(step)),
            step - from,
          );
          scheduler.step(output, step, sample);
        }
        return sample;
      };
      expectClose(
        tail(createScheduler(name, config, 10, 0.6), 0),
        [...tail(createScheduler(name, config, 10), 4)],
        1e-6,
        name,
      );
    });
  }

  it('PNDM warms up again from the first step it keeps', () => {
    const full = createScheduler('PNDMScheduler', config, 10).timesteps;
    const grid = [full[0], ...full.slice(2)];
    const partial = createScheduler('PNDMScheduler', config, 10, 0.5);
    expect(partial.timesteps).toEqual([grid[5], grid[6], grid[6], grid[7], grid[8], grid[9]]);
    const alphaProduct = alphasCumprod(config)[grid[5]];
    expect(partial.noiseLevel(0).signal).toBeCloseTo(Math.sqrt(alphaProduct), 12);
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
