import { describe, expect, it } from 'vitest';
import { StopSequenceFilter } from './stop-sequences.ts';

function run(stops: string[], deltas: string[]) {
  const filter = new StopSequenceFilter(stops);
  const emitted: string[] = [];
  for (const delta of deltas) {
    const result = filter.push(delta);
    emitted.push(result.text);
    if (result.stopped) return { emitted, stopped: true };
  }
  emitted.push(filter.flush());
  return { emitted, stopped: false };
}

describe('StopSequenceFilter', () => {
  it('cuts before a stop string split over deltas and never emits it', () => {
    const { emitted, stopped } = run(['END'], ['abc E', 'N', 'D more']);
    expect(stopped).toBe(true);
    expect(emitted.join('')).toBe('abc ');
    expect(emitted[0]).toBe('abc ');
  });

  it('releases held text once it cannot be a stop string', () => {
    const { emitted, stopped } = run(['END'], ['abc E', 'x']);
    expect(stopped).toBe(false);
    expect(emitted).toEqual(['abc ', 'Ex', '']);
  });

  it('picks the earliest of several stop strings, including Chinese ones', () => {
    expect(run(['。', '\n\n'], ['第一句。第二句'])).toEqual({ emitted: ['第一句'], stopped: true });
  });

  it('flushes text held as a possible stop prefix at the end', () => {
    expect(run(['</s>'], ['done </']).emitted.join('')).toBe('done </');
  });
});
