import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import {
  deserializeError,
  marshalArguments,
  packVectors,
  serializeError,
  unmarshalArguments,
  unpackVectors,
} from './protocol.ts';

describe('runner protocol', () => {
  it('takes signals and callbacks out of request objects and puts the runner’s own back', () => {
    const controller = new AbortController();
    const progress: unknown[] = [];
    const samples = new Float32Array([1, 2, 3]);
    const marshalled = marshalArguments([
      { prompt: 'cat', steps: 2, signal: controller.signal, onProgress: (value: unknown) => progress.push(value) },
      samples,
      undefined,
    ]);
    expect(marshalled.args).toEqual([{ prompt: 'cat', steps: 2 }, samples, undefined]);
    expect(marshalled.args[1]).toBe(samples);
    expect(marshalled.signal).toBe(controller.signal);
    expect(marshalled.slots).toEqual({ signals: [0], callbacks: [{ argument: 0, key: 'onProgress' }] });
    // The structured clone keeps the typed array's class.
    const cloned = structuredClone(marshalled.args);
    expect(cloned[1]).toBeInstanceOf(Float32Array);

    const relayed: unknown[] = [];
    const runnerSignal = new AbortController().signal;
    const restored = unmarshalArguments(cloned, marshalled.slots, runnerSignal, (argument, key, values) =>
      relayed.push([argument, key, ...values]),
    ) as [{ signal: AbortSignal; onProgress: (value: unknown) => void }];
    expect(restored[0].signal).toBe(runnerSignal);
    restored[0].onProgress({ step: 1 });
    expect(relayed).toEqual([[0, 'onProgress', { step: 1 }]]);
    marshalled.callbacks.get('0:onProgress')?.({ step: 1 });
    expect(progress).toEqual([{ step: 1 }]);
  });

  it('sends a list of vectors as one buffer and gives the same vectors back', () => {
    const big = new Float32Array([9, 9, 1, 2, 3, 9]);
    const result = {
      embeddings: [big.subarray(2, 5), new Float32Array([4, 5]), new Float32Array(0)],
      usage: { tokens: 7 },
      single: [new Float32Array([1])],
      mixed: [new Float32Array([1]), [2]],
    };
    const sent = packVectors(result);
    expect(sent.value).toEqual({ usage: { tokens: 7 }, single: result.single, mixed: result.mixed });
    expect(sent.packed).toEqual([{ key: 'embeddings', data: new Float32Array([1, 2, 3, 4, 5]), lengths: [3, 2, 0] }]);
    const cloned = structuredClone(sent);
    const received = unpackVectors(cloned.value, cloned.packed) as typeof result;
    expect(received.embeddings.map((vector) => Array.from(vector))).toEqual([[1, 2, 3], [4, 5], []]);
    expect(received.embeddings.every((vector) => vector instanceof Float32Array)).toBe(true);
    expect(received.usage).toEqual({ tokens: 7 });
    // Nothing to pack: the value goes as it is.
    expect(packVectors([new Float32Array(2), new Float32Array(2)])).toEqual({
      value: [new Float32Array(2), new Float32Array(2)],
    });
    expect(unpackVectors('text', undefined)).toBe('text');
  });

  it('leaves class instances and arrays alone', () => {
    const date = new Date(0);
    const marshalled = marshalArguments([[{ signal: 'not a signal' }], date]);
    expect(marshalled.args[0]).toEqual([{ signal: 'not a signal' }]);
    expect(marshalled.args[1]).toBe(date);
    expect(marshalled.slots).toEqual({ signals: [], callbacks: [] });
  });

  it('keeps an MmkitError’s message, code, param, type and status across the boundary', () => {
    const original = new MmkitError('model folder /m has no onnx/ weights', {
      code: 'model_files_missing',
      param: 'model',
      type: 'not_found_error',
    });
    const rebuilt = deserializeError(structuredClone(serializeError(original)));
    expect(rebuilt).toBeInstanceOf(MmkitError);
    expect(rebuilt).toMatchObject({
      message: 'model folder /m has no onnx/ weights',
      code: 'model_files_missing',
      param: 'model',
      type: 'not_found_error',
      status: 404,
    });
  });

  it('rebuilds abort errors as AbortError and other errors by name and message', () => {
    const abort = deserializeError(serializeError(new DOMException('stopped', 'AbortError')));
    expect(abort.name).toBe('AbortError');
    const plain = deserializeError(serializeError(new TypeError('bad tensor')));
    expect(plain).not.toBeInstanceOf(MmkitError);
    expect([plain.name, plain.message]).toEqual(['TypeError', 'bad tensor']);
    expect(serializeError('thrown string')).toMatchObject({ message: 'thrown string', mmkit: false });
  });
});
