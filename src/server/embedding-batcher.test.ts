import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../testkit/build.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import { ModelRegistry } from '../models/registry.ts';
import type { EmbeddingModel } from '../models/spec/index.ts';
import { EmbeddingBatcher, splitTokens } from './embedding-batcher.ts';
import { InProcessModelHost } from './model-hosts/in-process-host.ts';
import { ModelService } from './model-service.ts';

/** A model whose vector is the text's length, and that records every call's batch (`poison` fails it). */
function recordingService() {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    description: { id: 'count:texts', provider: 'count' },
    dimensions: 1,
    embedTexts: async (texts) => {
      calls.push(texts);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (texts.includes('poison')) throw new Error('the model cannot embed poison');
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

  it('keeps a failure with the request that caused it: the others in its batch still get vectors', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 64, 256);
    const first = batcher.embedTexts('counter', ['warm']);
    const queued = [['aa'], ['poison', 'bbb'], ['cccc']].map((texts) =>
      batcher.embedTexts('counter', texts).then(
        (result) => result.vectors.map((vector) => vector[0]),
        (error: Error) => error.message,
      ),
    );
    await first;
    expect(await Promise.all(queued)).toEqual([[2], 'the model cannot embed poison', [4]]);
    // The merged call failed, then each request ran alone.
    expect(calls).toEqual([['warm'], ['aa', 'poison', 'bbb', 'cccc'], ['aa'], ['poison', 'bbb'], ['cccc']]);
  });

  it('under steady load from several clients, gathers them all into each batch (not one alone, then the rest)', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 64, 256);
    // Four clients, each sending its next request a network round trip (a timer) after its answer.
    const client = async (name: string) => {
      for (let round = 0; round < 6; round++) {
        await batcher.embedTexts('counter', [`${name}${round}`]);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await Promise.all(['a', 'b', 'c', 'd'].map(client));
    const sizes = calls.map((batch) => batch.length);
    // The first request finds the model idle and runs alone; the next batch waits for the fourth
    // client to come back, and so on (without gathering: 1, 3, 1, 3…). The last round has the
    // first client, done, missing.
    expect(sizes).toEqual([1, 4, 4, 4, 4, 4, 3]);
    // A lone client is never held back waiting for company that does not come.
    const lone = new EmbeddingBatcher(service, 64, 256);
    for (let round = 0; round < 3; round++) await lone.embedTexts('counter', [`solo${round}`]);
    expect(calls.slice(-3)).toEqual([['solo0'], ['solo1'], ['solo2']]);
  });

  it('gives a real model (tiny CLIP) the same vectors batched as one request at a time', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mmkit-batcher-'));
    try {
      await buildTinyModel('clip', join(root, 'clip'));
      const config = { models: { clip: { id: join(root, 'clip') } } };
      const registry = createDefaultRegistry({ config });
      const service = new ModelService({
        registry,
        host: new InProcessModelHost({ registry, queueLength: 16, concurrencyPerModel: 1 }),
        config,
      });
      const batcher = new EmbeddingBatcher(service, 64, 256);
      // Texts of different lengths, so the batched call pads the shorter ones.
      const requests = [['a red car'], ['blue', 'a small green apple on a wooden table'], ['sky'], ['red red red red']];
      const alone: Float32Array[][] = [];
      for (const texts of requests) alone.push((await batcher.embedTexts('clip', texts)).vectors);
      const together = await Promise.all(requests.map((texts) => batcher.embedTexts('clip', texts)));
      for (const [index, result] of together.entries()) {
        expect(result.vectors).toHaveLength(requests[index]!.length);
        for (const [position, vector] of result.vectors.entries()) {
          const expected = alone[index]![position]!;
          expect(vector.length).toBe(expected.length);
          for (let i = 0; i < vector.length; i++) expect(vector[i]).toBeCloseTo(expected[i]!, 5);
        }
      }
      // Different texts give different vectors, so the comparison above can fail.
      expect(Array.from(alone[0]![0]!)).not.toEqual(Array.from(alone[2]![0]!));
      await service.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('splits a batch token count in whole numbers that add up', () => {
    expect(splitTokens(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(splitTokens(7, [5])).toEqual([7]);
    expect(splitTokens(9, [0, 0])).toEqual([9, 0]);
  });
});
