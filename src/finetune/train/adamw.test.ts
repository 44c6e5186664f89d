import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uniformFloat32 } from '../random.ts';
import { AdamW } from './adamw.ts';
import { cosineSchedule, learningRateAt } from './cosine-schedule.ts';
import { clipGradientNorm } from './gradient-clipping.ts';

interface AdamWGolden {
  seed: number;
  shapes: Record<string, number[]>;
  peak: number;
  weightDecay: number;
  maxGradNorm: number;
  gradientNorms: number[];
  trajectory: Record<string, number[]>[];
}

const golden = JSON.parse(
  readFileSync(new URL('./testdata/adamw.golden.json', import.meta.url), 'utf8'),
) as AdamWGolden;

const count = (dims: number[]) => dims.reduce((product, dim) => product * dim, 1);

describe('AdamW', () => {
  it('follows torch.optim.AdamW step by step, with clip_grad_norm_ and a cosine schedule', () => {
    const names = Object.keys(golden.shapes);
    const parameters = Object.fromEntries(
      names.map((name) => [name, uniformFloat32(golden.seed, name, count(golden.shapes[name]), 1)]),
    );
    const optimizer = new AdamW({ weightDecay: golden.weightDecay });
    const schedule = cosineSchedule(golden.peak, golden.trajectory.length, 0.05);
    golden.trajectory.forEach((expected, step) => {
      const gradients = Object.fromEntries(
        names.map((name) => [
          name,
          uniformFloat32(golden.seed, `grad/${step}/${name}`, count(golden.shapes[name]), step === 3 ? 5 : 0.3),
        ]),
      );
      const norm = clipGradientNorm(Object.values(gradients), golden.maxGradNorm);
      expect(norm).toBeCloseTo(golden.gradientNorms[step], 5);
      optimizer.step(parameters, gradients, learningRateAt(schedule, step));
      for (const name of names) {
        expected[name].forEach((value, index) => {
          expect(Math.abs(parameters[name][index] - value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(value)));
        });
      }
    });
    expect(optimizer.stepCount).toBe(8);
  });

  it('continues identically after saving and loading its state', () => {
    const run = (interrupt: boolean) => {
      const parameter = { p: Float32Array.of(1, -2, 3) };
      let optimizer = new AdamW({ weightDecay: 0.1 });
      for (let step = 0; step < 6; step++) {
        if (interrupt && step === 3) {
          const saved = optimizer.saveState();
          optimizer = new AdamW({ weightDecay: 0.1 });
          optimizer.loadState(saved);
        }
        optimizer.step(parameter, { p: [0.5 - step, 0.25 * step, -1] }, 0.01);
      }
      return Array.from(parameter.p);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('refuses a gradient of the wrong size', () => {
    expect(() => new AdamW().step({ p: new Float32Array(3) }, { p: [1, 2] }, 0.1)).toThrow(/wrong size/);
  });
});

describe('cosine schedule with warm-up', () => {
  it('warms up linearly over ceil(5 % of the steps), then decays along half a cosine to 0', () => {
    const schedule = cosineSchedule(2e-4, 100);
    expect(schedule.warmupSteps).toBe(5);
    expect(learningRateAt(schedule, 0)).toBe(0);
    expect(learningRateAt(schedule, 2)).toBeCloseTo(0.8e-4, 12);
    expect(learningRateAt(schedule, 5)).toBeCloseTo(2e-4, 12);
    expect(learningRateAt(schedule, 52.5)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(schedule, 100)).toBeCloseTo(0, 12);
    expect(cosineSchedule(1, 7).warmupSteps).toBe(1);
  });
});

describe('clipGradientNorm', () => {
  it('leaves small gradients alone and scales large ones to the limit', () => {
    const small = [Float32Array.of(0.3, 0.4)];
    expect(clipGradientNorm(small, 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(small[0])).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const large = [Float32Array.of(3), Float32Array.of(4)];
    expect(clipGradientNorm(large, 1)).toBeCloseTo(5, 6);
    expect(large[0][0]).toBeCloseTo(0.6, 5);
    expect(large[1][0]).toBeCloseTo(0.8, 5);
  });
});
