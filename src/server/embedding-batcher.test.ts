import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildTinyModel } from '../../testkit/build.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import { ModelRegistry } from '../models/registry.ts';
import type { EmbeddingModel } from '../models/spec/index.ts';
import { EmbeddingBatcher, splitTokens } from './embedding-batcher.ts';
import { InProcessModelHost } from './model-hosts/in-process-host.ts';
import { ModelService } from './model-service.ts';

/**
 * A model whose vector is the text's length, and that records every call's batch (`poison` fails it).
 * It waits `callMs` on a timer, or with `busy` computes for that long (as a small model on the CPU does).
 */
function recordingService(callMs = 5, busy = false) {
  const calls: string[][] = [];
  const model: EmbeddingModel = {
    description: { id: 'count:texts', provider: 'count' },
    dimensions: 1,
    embedTexts: async (texts) => {
      calls.push(texts);
      if (busy) {
        const until = performance.now() + callMs;
        while (performance.now() < until);
        await new Promise((resolve) => setImmediate(resolve));
      } else await new Promise((resolve) => setTimeout(resolve, callMs));
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
    // Requests that arrive in the same event-loop turn share one call.
    expect(calls.map((batch) => batch.length)).toEqual([20]);
    // One arriving while the model is busy waits for the next call, with whatever arrived meanwhile.
    const fresh = new EmbeddingBatcher(service, 64, 256);
    const first = fresh.embedTexts('counter', ['a']);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [fresh.embedTexts('counter', ['bb']), fresh.embedTexts('counter', ['ccc'])];
    expect((await first).vectors[0]![0]).toBe(1);
    expect((await Promise.all(later)).map((result) => result.vectors[0]![0])).toEqual([2, 3]);
    expect(calls.slice(1)).toEqual([['a'], ['bb', 'ccc']]);
    const totalTokens = requests.flat().join('').length;
    expect(results.reduce((sum, result) => sum + result.tokens, 0)).toBe(totalTokens);
  });

  it('caps a batch at its size, refuses waiting texts beyond the limit, and passes model errors on', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 3, 4);
    const running = batcher.embedTexts('counter', ['a']);
    await new Promise((resolve) => setImmediate(resolve));
    const accepted = [running, batcher.embedTexts('counter', ['b', 'c']), batcher.embedTexts('counter', ['d', 'e'])];
    await expect(batcher.embedTexts('counter', ['f'])).rejects.toMatchObject({ code: 'queue_full' });
    await Promise.all(accepted);
    expect(calls).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
    await expect(batcher.embedTexts('nope', ['a'])).rejects.toMatchObject({ code: 'model_not_found' });
  });

  it('keeps a failure with the request that caused it: the others in its batch still get vectors', async () => {
    const { service, calls } = recordingService();
    const batcher = new EmbeddingBatcher(service, 64, 256);
    const first = batcher.embedTexts('counter', ['warm']);
    await new Promise((resolve) => setImmediate(resolve));
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

  it('under steady load, never falls into running one request alone, then all the others', async () => {
    const { service, calls } = recordingService(20);
    const batcher = new EmbeddingBatcher(service, 64, 256, { maxGatherMs: 50 });
    // Four clients, each sending its next request a network round trip (1 ms) after its answer;
    // the first starts one event-loop turn before the others, so it is alone in the first batch.
    const client = async (index: number) => {
      if (index > 0) await new Promise((resolve) => setImmediate(resolve));
      for (let round = 0; round < 5; round++) {
        await batcher.embedTexts('counter', [`${index}:${round}`]);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    await Promise.all([0, 1, 2, 3].map(client));
    const sizes = calls.map((batch) => batch.length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(20);
    expect(sizes.slice(0, 2)).toEqual([1, 3]);
    // Without gathering: 1, 3, 1, 3… (the lone client's request always finds the model free). With
    // it, the clients settle into two groups of two that take turns on the model.
    expect(sizes.slice(2, -1).filter((size) => size < 2)).toEqual([]);
    expect(sizes.slice(2, 6)).toEqual([2, 2, 2, 2]);
    // A lone client is never held back waiting for company that does not come.
    const lone = new EmbeddingBatcher(service, 64, 256, { maxGatherMs: 50 });
    const started = performance.now();
    for (let round = 0; round < 3; round++) await lone.embedTexts('counter', [`solo${round}`]);
    expect(calls.slice(-3)).toEqual([['solo0'], ['solo1'], ['solo2']]);
    // Three calls of 20 ms, with no 50 ms waits between them.
    expect(performance.now() - started).toBeLessThan(140);
  });

  it('with a fast model, splits the clients into two groups that take turns, never waiting on a timer', async () => {
    const { service, calls } = recordingService(0.5, true);
    // Calls count as fast up to a second here, so a test worker the machine pauses stays on this path.
    const batcher = new EmbeddingBatcher(service, 64, 256, { slowCallMs: 1000 });
    // Eight clients, each sending its next request an event-loop turn after its answer (a server
    // busy answering the others reads it at its next turn).
    const client = async (index: number) => {
      for (let round = 0; round < 20; round++) {
        await batcher.embedTexts('counter', [`${index}:${round}`]);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      await Promise.all(Array.from({ length: 8 }, (_, index) => client(index)));
      // A millisecond timer would outlast the half-millisecond call: the server would sit idle.
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
    const sizes = calls.map((batch) => batch.length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(160);
    // The first batch takes all eight; after it, none holds more than half the clients, and the
    // batches do not fall apart into single requests either.
    expect(sizes[0]).toBe(8);
    expect(Math.max(...sizes.slice(1))).toBe(4);
    expect(sizes.filter((size) => size === 4).length).toBeGreaterThan(sizes.length / 2);
    await service.close();
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
