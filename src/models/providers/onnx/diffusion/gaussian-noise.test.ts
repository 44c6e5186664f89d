import { describe, expect, it } from 'vitest';
import { GaussianNoise } from './gaussian-noise.ts';

describe('GaussianNoise', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const first = new GaussianNoise(42).fill(new Float32Array(64));
    const again = new GaussianNoise(42).fill(new Float32Array(64));
    const other = new GaussianNoise(43).fill(new Float32Array(64));
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  it('fill gives exactly the values of nextGaussian, across odd lengths and a carried-over spare', () => {
    for (const seed of [0, 42, 2 ** 40 + 7]) {
      const filled = new GaussianNoise(seed);
      const single = new GaussianNoise(seed);
      for (const length of [3, 1, 16, 0, 7, 1000, 1]) {
        const values = filled.fill(new Float32Array(length));
        const expected = Float32Array.from({ length }, () => single.nextGaussian());
        expect(Array.from(values)).toEqual(Array.from(expected));
      }
      expect(filled.nextGaussian()).toBe(single.nextGaussian());
    }
  });

  it('uses the high bits of large seeds', () => {
    const low = new GaussianNoise(5).fill(new Float32Array(8));
    const high = new GaussianNoise(5 + 2 ** 40).fill(new Float32Array(8));
    expect(Array.from(high)).not.toEqual(Array.from(low));
  });

  it('is standard normal: mean ≈ 0, variance ≈ 1, symmetric tails', () => {
    const values = new GaussianNoise(7).fill(new Float32Array(200_000));
    let sum = 0;
    let squares = 0;
    let beyondTwo = 0;
    for (const value of values) {
      sum += value;
      squares += value * value;
      if (Math.abs(value) > 2) beyondTwo++;
    }
    const mean = sum / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(squares / values.length - mean * mean - 1)).toBeLessThan(0.02);
    // P(|z| > 2) = 4.55 % for a standard normal.
    expect(beyondTwo / values.length).toBeGreaterThan(0.043);
    expect(beyondTwo / values.length).toBeLessThan(0.048);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => new GaussianNoise(-1)).toThrow(RangeError);
    expect(() => new GaussianNoise(1.5)).toThrow(RangeError);
  });
});
