import { describe, expect, it } from 'vitest';
import { dropoutMask } from './dropout-mask.ts';

describe('dropoutMask', () => {
  it('keeps about 1 − p of the elements, scaled by 1/(1 − p), the same for the same stream', () => {
    const mask = dropoutMask(3, 'step 0/module', 20_000, 0.25);
    const kept = mask.filter((value) => value !== 0);
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    expect(kept.length / mask.length).toBeGreaterThan(0.73);
    expect(kept.length / mask.length).toBeLessThan(0.77);
    expect(dropoutMask(3, 'step 0/module', 20_000, 0.25)).toEqual(mask);
    expect(dropoutMask(3, 'step 1/module', 20_000, 0.25)).not.toEqual(mask);
  });

  it('is all ones at p = 0 and refuses p outside [0, 1)', () => {
    expect([...dropoutMask(1, 's', 5, 0)]).toEqual([1, 1, 1, 1, 1]);
    expect(() => dropoutMask(1, 's', 5, 1)).toThrow(/dropout/);
  });
});
