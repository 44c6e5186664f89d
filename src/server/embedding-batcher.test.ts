import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../models/registry.ts';
import type { EmbeddingModel } from '../models/spec/index.ts';
import { EmbeddingBatcher, splitTokens } from './embedding-batcher.ts';
import { InProcessModelHost } from './model-hosts/in-process-host.ts';
import { ModelService } from './model-service.ts';

/** A model whose vector is the text's length, and that records every call's batch. */
function recordingService() {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    description: { id: 'count:texts', provider: 'count' },
    dimensions: 1,
    embedTexts: async (texts) => {
      calls.push(texts);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {
        embeddings: texts.map((text) => Float32Array.of(text.length)),
        usage: { tokens: texts.join('').length },
      };
    },
  };
  const registry = new ModelRegistry({
    config: { models: { counter: 'count:texts' } },
    providers: [{ name: 'count', models: { embeddings: async () => model } }],
  });
  const service = new ModelService({
    registry,
    host: new InProcessModelHost({ registry, queueLength: 4, concurrencyPerModel: 1 }),
    config: { models: { counter: 'count:texts' } },
  });
  return { service, calls };
}

describe('EmbeddingBatcher', () => {
  it('merges requests that arrive while the model is busy, and hands each its own vectors', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 64, 256);
    const requests = Array.from({ length: 10 }, (_, index) => ['x'.repeat(index + 1), 'y'.repeat(20 + index)]);
    const results = await Promise.all(requests.map((texts) => batcher.embedTexts('counter', texts)));
    for (const [index, result] of results.entries()) {
      expect(result.vectors.map((vector) => vector[0])).toEqual([index + 1, 20 + index]);
    }
    // The first request runs alone; the nine that queued behind it share one call.
    expect(calls.map((batch) => batch.length)).toEqual([2, 18]);
    const totalTokens = requests.flat().join('').length;
    expect(results.reduce((sum, result) => sum + result.tokens, 0)).toBe(totalTokens);
  });

  it('caps a batch at its size, refuses waiting texts beyond the limit, and passes model errors on', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 3, 4);
    const accepted = [
      batcher.embedTexts('counter', ['a']),
      batcher.embedTexts('counter', ['b', 'c']),
      batcher.embedTexts('counter', ['d', 'e']),
    ];
    await expect(batcher.embedTexts('counter', ['f'])).rejects.toMatchObject({ code: 'queue_full' });
    await Promise.all(accepted);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    await expect(batcher.embedTexts('nope', ['a'])).rejects.toMatchObject({ code: 'model_not_found' });
  });

  it('splits a batch token count in whole numbers that add up', () => {
    expect(splitTokens(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitTokens(7, [5])).toEqual([7]);
    expect(splitTokens(9, [0, 0])).toEqual([9, 0]);
  });
});
