import { describe, expect, it } from 'vitest';
import { rotaryInverseFrequencies } from './rotary.ts';

describe('rotaryInverseFrequencies', () => {
  it('is θ^(−2i/d) without scaling, and divided by the factor with linear scaling', () => {
    const plain = rotaryInverseFrequencies(8, 10000);
    [1, 0.1, 0.01, 0.001].forEach((value, index) => {
      expect(plain[index]).toBeCloseTo(value, 15);
    });
    const linear = rotaryInverseFrequencies(8, 10000, { type: 'linear', factor: 4 });
    expect(linear[1]).toBeCloseTo(0.025, 15);
  });

  it("llama3: keeps short wavelengths, divides long ones by the factor, blends in between (Llama 3.1's settings)", () => {
    const scaling = {
      type: 'llama3' as const,
      factor: 8,
      lowFrequencyFactor: 1,
      highFrequencyFactor: 4,
      originalMaxPositions: 8192,
    };
    const base = rotaryInverseFrequencies(128, 500000);
    const scaled = rotaryInverseFrequencies(128, 500000, scaling);
    base.forEach((frequency, index) => {
      const wavelength = (2 * Math.PI) / frequency;
      if (wavelength < 8192 / 4) expect(scaled[index]).toBe(frequency);
      else if (wavelength > 8192) expect(scaled[index]).toBeCloseTo(frequency / 8, 18);
      else {
        // smooth = (8192 / wavelength − 1) / 3 mixes frequency/8 and frequency.
        const smooth = (8192 / wavelength - 1) / 3;
        expect(scaled[index]).toBeCloseTo(((1 - smooth) / 8 + smooth) * frequency, 15);
        expect(scaled[index]).toBeLessThan(frequency);
        expect(scaled[index]).toBeGreaterThan(frequency / 8);
      }
    });
    // θ 500000, d 128: wavelength 2π·θ^(i/64) is below 2048 for i ≤ 28 and above 8192 for i ≥ 35.
    const kept = scaled.filter((value, index) => value === base[index]).length;
    const divided = scaled.filter((value, index) => Math.abs(value - base[index] / 8) < 1e-18).length;
    expect([kept, 64 - kept - divided, divided]).toEqual([29, 6, 29]);
  });
});
