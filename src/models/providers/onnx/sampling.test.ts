import { describe, expect, it } from 'vitest';
import { sampleToken, seededUniformSource } from './sampling.ts';

const logits = Float32Array.from([2, 1, 0.5, 3, -1]);

function histogram(options: Parameters<typeof sampleToken>[1], seed: number, draws = 4000): number[] {
  const uniform = seededUniformSource(seed);
  const counts = new Array(logits.length).fill(0);
  for (let draw = 0; draw < draws; draw++) counts[sampleToken(logits, options, uniform)]++;
  return counts;
}

describe('sampleToken', () => {
  it('draws in proportion to softmax(logits / temperature)', () => {
    const counts = histogram({ temperature: 1, topP: 1 }, 7);
    const weights = Array.from(logits, (value) => Math.exp(value));
    const total = weights.reduce((sum, value) => sum + value, 0);
    counts.forEach((count, token) => {
      expect(count / 4000).toBeCloseTo(weights[token] / total, 1);
    });
  });

  it('top-k 1 and a tiny top-p always give the most likely token', () => {
    expect(histogram({ temperature: 5, topP: 1, topK: 1 }, 1, 200)[3]).toBe(200);
    expect(histogram({ temperature: 1, topP: 0.01 }, 2, 200)[3]).toBe(200);
  });

  it('top-k 2 keeps only the two best tokens; top-p keeps the smallest set reaching p', () => {
    const topTwo = histogram({ temperature: 1, topP: 1, topK: 2 }, 3);
    expect(topTwo[0] + topTwo[3]).toBe(4000);
    expect(topTwo[0]).toBeGreaterThan(0);
    // p(3) ≈ 0.61, p(0) ≈ 0.22: 0.7 needs both, never a third.
    const nucleus = histogram({ temperature: 1, topP: 0.7 }, 4);
    expect(nucleus[0] + nucleus[3]).toBe(4000);
  });

  it('the same seed repeats the same draws; another seed does not', () => {
    const sequence = (seed: number) => {
      const uniform = seededUniformSource(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits, { temperature: 2, topP: 1 }, uniform));
    };
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(42)).not.toEqual(sequence(43));
  });
});
