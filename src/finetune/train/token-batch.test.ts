import { describe, expect, it } from 'vitest';
import { batchFeeds, causalBatch } from './token-batch.ts';

describe('causalBatch', () => {
  it('right-pads, shifts labels by one, and ignores the prompt and the padding', () => {
    const batch = causalBatch([{ tokens: [5, 6, 7, 8], trainFrom: 2 }, { tokens: [9, 10] }], 0);
    expect(batch.inputIds).toEqual([
      [5, 6, 7, 8],
      [9, 10, 0, 0],
    ]);
    expect(batch.attentionMask).toEqual([
      [1, 1, 1, 1],
      [1, 1, 0, 0],
    ]);
    expect(batch.positionIds[1]).toEqual([0, 1, 2, 3]);
    // Row 0: position 1 predicts 7 (the first trained token), position 2 predicts 8; the last has no target.
    expect(batch.labels).toEqual([
      [-100, 7, 8, -100],
      [10, -100, -100, -100],
    ]);
    const feeds = batchFeeds(batch);
    expect(feeds.labels.dims).toEqual([2, 4]);
    expect(feeds.input_ids.type).toBe('int64');
  });
});
