import { describe, expect, it } from 'vitest';
import { planWindows } from './windows.ts';

const rate = 16000;
const spans = (seconds: number, options = {}) =>
  planWindows(Math.round(seconds * rate), rate, options).map((window) => [window.start, window.end]);

describe('planWindows', () => {
  it('gives one window for audio up to the window length', () => {
    expect(spans(12.5)).toEqual([[0, 12.5]]);
    expect(spans(30)).toEqual([[0, 30]]);
    expect(planWindows(0, rate)).toEqual([{ index: 0, startSample: 0, endSample: 0, start: 0, end: 0 }]);
  });

  it('steps by window − 2 × stride and pulls the last window back to end with the audio', () => {
    expect(spans(50)).toEqual([
      [0, 30],
      [20, 50],
    ]);
    expect(spans(70)).toEqual([
      [0, 30],
      [20, 50],
      [40, 70],
    ]);
    // 55 s: the third window would start at 40 and be 15 s; it starts at 25 instead (overlap 25 s).
    expect(spans(55)).toEqual([
      [0, 30],
      [20, 50],
      [25, 55],
    ]);
    expect(spans(31)).toEqual([
      [0, 30],
      [1, 31],
    ]);
  });

  it('keeps at least 2 × stride of overlap and covers every sample', () => {
    for (const seconds of [30.01, 44, 61.3, 199.99, 3600]) {
      const windows = planWindows(Math.round(seconds * rate), rate, { windowSeconds: 30, strideSeconds: 4 });
      expect(windows[0].startSample).toBe(0);
      expect(windows.at(-1)!.endSample).toBe(Math.round(seconds * rate));
      for (let index = 1; index < windows.length; index++) {
        expect(windows[index - 1].endSample - windows[index].startSample).toBeGreaterThanOrEqual(8 * rate);
        expect(windows[index].endSample - windows[index].startSample).toBe(30 * rate);
        expect(windows[index].index).toBe(index);
      }
    }
  });

  it('rejects strides that leave no step and bad sizes', () => {
    expect(() => planWindows(rate * 60, rate, { windowSeconds: 10, strideSeconds: 5 })).toThrow(/invalid windows/);
    expect(() => planWindows(-1, rate)).toThrow(/invalid audio/);
    expect(() => planWindows(10, 0)).toThrow(/invalid audio/);
  });
});
