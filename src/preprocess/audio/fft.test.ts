import { describe, expect, it } from 'vitest';
import { RealFft, realFft } from './fft.ts';

/** Direct O(n²) DFT of a real signal: the definition the fast transform must agree with. */
function naiveDft(input: Float64Array): { real: Float64Array; imaginary: Float64Array } {
  const n = input.length;
  const real = new Float64Array(n / 2 + 1);
  const imaginary = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      const angle = (-2 * Math.PI * ((k * t) % n)) / n;
      re += input[t] * Math.cos(angle);
      im += input[t] * Math.sin(angle);
    }
    real[k] = re;
    imaginary[k] = im;
  }
  return { real, imaginary };
}

function pseudoRandomSignal(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = state / 1073741824 - 1;
  }
  return out;
}

describe('RealFft', () => {
  // 400 = Whisper (2⁴·5²), 2048 = librosa default, plus radix-3 and a prime (generic) factor.
  for (const size of [2, 4, 8, 10, 12, 30, 42, 400, 512, 2048]) {
    it(`matches the direct DFT for n = ${size}`, () => {
      const signal = pseudoRandomSignal(size, size);
      const expected = naiveDft(signal);
      const real = new Float64Array(size / 2 + 1);
      const imaginary = new Float64Array(size / 2 + 1);
      new RealFft(size).transform(signal, real, imaginary);
      const power = new Float64Array(size / 2 + 1);
      realFft(size).power(signal, power);
      let worst = 0;
      for (let k = 0; k <= size / 2; k++) {
        worst = Math.max(worst, Math.abs(real[k] - expected.real[k]), Math.abs(imaginary[k] - expected.imaginary[k]));
        const expectedPower = expected.real[k] ** 2 + expected.imaginary[k] ** 2;
        expect(power[k]).toBeCloseTo(expectedPower, 6);
      }
      expect(worst).toBeLessThan(1e-9 * size);
    });
  }

  it('reads a frame at an offset and finds a pure tone in its bin', () => {
    const size = 400;
    const signal = new Float64Array(1000);
    for (let i = 0; i < signal.length; i++) signal[i] = Math.cos((2 * Math.PI * 25 * (i - 300)) / size);
    const power = new Float64Array(size / 2 + 1);
    realFft(size).power(signal, power, 300);
    expect(power[25]).toBeCloseTo((size / 2) ** 2, 6);
    expect(power[24]).toBeLessThan(1e-12);
    expect(power[26]).toBeLessThan(1e-12);
  });

  it('caches one plan per size and rejects odd sizes', () => {
    expect(realFft(400)).toBe(realFft(400));
    expect(() => new RealFft(401)).toThrow(RangeError);
  });
});

describe('RealFft batches', () => {
  it('transforms a batch of windowed frames exactly like one frame at a time', () => {
    const size = 400;
    const batch = 7;
    const signal = Float32Array.from(pseudoRandomSignal(size * 4, 5));
    const window = Float64Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
    const plan = new RealFft(size, batch);
    for (let f = 0; f < batch; f++) plan.setFrame(f, signal, f * 160, window);
    const batched = new Float64Array((size / 2 + 1) * batch);
    plan.powerBatch(batched);
    const single = new Float64Array(size / 2 + 1);
    for (let f = 0; f < batch; f++) {
      const frame = Float64Array.from({ length: size }, (_, t) => signal[f * 160 + t] * window[t]);
      realFft(size).power(frame, single);
      for (let k = 0; k <= size / 2; k++) expect(batched[k * batch + f]).toBeCloseTo(single[k], 8);
    }
  });
});
