import { describe, expect, it } from 'vitest';
import { timeStretch } from './time-stretch.ts';

const rate = 16000;
const tone = (frequency: number, seconds: number) =>
  Float32Array.from(
    { length: Math.round(seconds * rate) },
    (_, index) => 0.5 * Math.sin((2 * Math.PI * frequency * index) / rate),
  );

/** Frequency from zero crossings over the middle of the signal (edges left out). */
function frequencyOf(samples: Float32Array): number {
  const middle = samples.subarray(Math.floor(samples.length * 0.1), Math.floor(samples.length * 0.9));
  let crossings = 0;
  for (let index = 1; index < middle.length; index++) if (middle[index - 1] < 0 !== middle[index] < 0) crossings++;
  return crossings / 2 / (middle.length / rate);
}

const rms = (samples: Float32Array) =>
  Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / samples.length);

describe('timeStretch', () => {
  it('changes the duration by the speed and keeps the pitch and level', () => {
    for (const [speed, frequency] of [
      [2, 440],
      [0.5, 440],
      [1.5, 1250],
      [0.8, 180],
    ]) {
      const input = tone(frequency, 1);
      const output = timeStretch(input, rate, speed);
      expect(output.length).toBe(Math.round(rate / speed));
      expect(Math.abs(frequencyOf(output) - frequency)).toBeLessThan(frequency * 0.02);
      expect(rms(output)).toBeGreaterThan(rms(input) * 0.9);
      expect(rms(output)).toBeLessThan(rms(input) * 1.1);
    }
  });

  it('keeps a sequence of tones in order, each for its share of the new duration', () => {
    const input = new Float32Array([...tone(300, 0.4), ...tone(900, 0.4)]);
    const output = timeStretch(input, rate, 2);
    expect(output.length).toBe(0.4 * rate);
    expect(frequencyOf(output.subarray(0, 0.2 * rate))).toBeCloseTo(300, -1);
    expect(frequencyOf(output.subarray(0.2 * rate))).toBeCloseTo(900, -1);
  });

  it('copies at speed 1 and refuses speeds outside 0.25–4', () => {
    const input = tone(500, 0.1);
    const same = timeStretch(input, rate, 1);
    expect(same).toEqual(input);
    expect(same).not.toBe(input);
    expect(timeStretch(new Float32Array(0), rate, 2)).toEqual(new Float32Array(0));
    expect(() => timeStretch(input, rate, 5)).toThrow(/between 0.25 and 4/);
    expect(() => timeStretch(input, rate, Number.NaN)).toThrow(/between 0.25 and 4/);
  });
});
