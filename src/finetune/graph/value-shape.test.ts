import { describe, expect, it } from 'vitest';
import { broadcastAxes, broadcastDims } from './value-shape.ts';

describe('broadcastDims', () => {
  it('follows numpy rules and prefers named sizes over unknown ones', () => {
    expect(
      broadcastDims([
        [2, 1, 4],
        [3, 1],
      ]),
    ).toEqual([2, 3, 4]);
    expect(broadcastDims([['batch', 1], [5]])).toEqual(['batch', 5]);
    expect(
      broadcastDims([
        ['?1', 4],
        ['seq', 1],
      ]),
    ).toEqual(['seq', 4]);
    expect(() => broadcastDims([[2], [3]])).toThrow(/do not broadcast/);
  });
});

describe('broadcastAxes', () => {
  it('lists leading axes and axes where the operand had size 1', () => {
    expect(broadcastAxes([2, 3, 4], [3, 1])).toEqual({ leading: [0], ones: [2] });
    expect(broadcastAxes(['batch', 5], [5])).toEqual({ leading: [0], ones: [] });
    expect(broadcastAxes([2, 3], [2, 3])).toEqual({ leading: [], ones: [] });
  });
});
