import { describe, expect, it } from 'vitest';
import { hashText, mix32, uniformIntegers, uniformValues } from './random.ts';

describe('counter-based random values', () => {
  it('is pinned: the Python reference reproduces these exact values', () => {
    expect(hashText('a')).toBe(0xe40c292c);
    expect(mix32(1)).toBe(0x514e28b7);
    expect(Array.from(uniformValues(42, 'weights', 3))).toEqual(PINNED);
  });

  it('gives different streams for different names and seeds, all in [-1, 1)', () => {
    const first = uniformValues(1, 'a', 1000);
    const second = uniformValues(1, 'b', 1000);
    const third = uniformValues(2, 'a', 1000);
    expect(first).not.toEqual(second);
    expect(first).not.toEqual(third);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...first)).toBeLessThan(1);
    const mean = first.reduce((sum, value) => sum + value, 0) / first.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
  });

  it('draws integers below a limit', () => {
    const values = uniformIntegers(3, 'ids', 500, 7);
    expect(new Set(values)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });
});

const PINNED = [0.168664435390383, -0.0663996054790914, 0.02310954127460718];
