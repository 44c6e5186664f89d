import { describe, expect, it } from 'vitest';
import { reshapeDims } from './reshape-dims.ts';

const fresh = () => '?new';

describe('reshapeDims', () => {
  it('copies dims for 0 and solves -1 from fixed sizes', () => {
    expect(reshapeDims([2, 3, 4], [0, -1], false, fresh)).toEqual([2, 12]);
    expect(reshapeDims([2, 3, 4], [6, 2, 2], false, fresh)).toEqual([6, 2, 2]);
  });

  it('keeps symbolic names when the factors cancel', () => {
    expect(reshapeDims(['batch', 'seq', 32], [0, 0, 4, -1], false, fresh)).toEqual(['batch', 'seq', 4, 8]);
    expect(reshapeDims(['batch', 2, 3, 'seq', 8], [0, 6, -1, 8], false, fresh)).toEqual(['batch', 6, 'seq', 8]);
    expect(reshapeDims(['batch', 'seq', 4, 8], [-1, 32], false, fresh)).toEqual(['?new', 32]);
  });

  it('rejects two -1 and negative sizes', () => {
    expect(() => reshapeDims([4], [-1, -1], false, fresh)).toThrow(/more than one/);
    expect(() => reshapeDims([4], [-2], false, fresh)).toThrow(/not allowed/);
  });
});
