import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { ModelRegistry } from '../../registry.ts';
import { createOnnxProvider } from './provider.ts';
import { NO_SPINNING, sessionOptionsFor } from './session-options.ts';

describe('sessionOptionsFor', () => {
  it('takes threads and the optimisation level from the entry, the thread default from MMKIT_ORT_THREADS', () => {
    expect(sessionOptionsFor({}, 'm', {})).toEqual({});
    expect(sessionOptionsFor({}, 'm', { MMKIT_ORT_THREADS: '1' })).toEqual({ intraOpNumThreads: 1 });
    expect(
      sessionOptionsFor({ intraOpNumThreads: 3, interOpNumThreads: 2, graphOptimizationLevel: 'basic' }, 'm', {
        MMKIT_ORT_THREADS: '1',
      }),
    ).toEqual({ intraOpNumThreads: 3, interOpNumThreads: 2, graphOptimizationLevel: 'basic' });
  });

  it('refuses bad values in one line naming the model and the option', () => {
    expect(() => sessionOptionsFor({ intraOpNumThreads: 0 }, 'tiny', {})).toThrow(
      'tiny: intraOpNumThreads must be a whole number of threads ≥ 1, got 0',
    );
    expect(() => sessionOptionsFor({}, 'tiny', { MMKIT_ORT_THREADS: 'many' })).toThrow(
      'tiny: MMKIT_ORT_THREADS must be a whole number of threads ≥ 1, got "many"',
    );
    expect(() => sessionOptionsFor({ graphOptimizationLevel: 'max' }, 'tiny', {})).toThrow(
      'tiny: graphOptimizationLevel must be one of disabled, basic, extended, layout, all, got "max"',
    );
  });
});

describe('the onnx provider passes session options to every session it opens', () => {
  let root: string;
  const create = vi.spyOn(InferenceSession, 'create');

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-session-options-'));
    await buildTinyModel('llm', join(root, 'llm'));
    await buildTinyModel('wav2vec2-ctc', join(root, 'ctc'));
  });
  afterEach(() => create.mockClear());
  afterAll(async () => {
    create.mockRestore();
    await rm(root, { recursive: true, force: true });
  });

  const registry = (sessionDefaults?: InferenceSession.SessionOptions) =>
    new ModelRegistry({
      config: {
        models: {
          llm: { id: join(root, 'llm'), intraOpNumThreads: 1, graphOptimizationLevel: 'extended' },
          ctc: { id: join(root, 'ctc'), intraOpNumThreads: 2, interOpNumThreads: 1 },
        },
      },
      providers: [createOnnxProvider(sessionDefaults ? { sessionDefaults } : {})],
    });

  it('Transformers.js sessions (chat) get session_options', async () => {
    const chat = await registry().load('chat', 'llm');
    const answer = await chat.generate({
      messages: [{ role: 'user', content: 'hi' }],
      maxNewTokens: 8,
      temperature: 0,
      topP: 1,
    });
    expect(answer.text).toBe('hi');
    expect(create).toHaveBeenCalled();
    for (const [, options] of create.mock.calls) {
      expect(options).toMatchObject({ intraOpNumThreads: 1, graphOptimizationLevel: 'extended' });
    }
  });

  it('our own sessions (CTC) get them directly', async () => {
    await registry().load('ctc', 'ctc');
    expect(create).toHaveBeenCalledTimes(1);
    expect(create.mock.calls[0]?.[1]).toEqual({ intraOpNumThreads: 2, interOpNumThreads: 1 });
  });

  it("starts every session from the provider's defaults, under the entry's own settings", async () => {
    const defaults = { ...NO_SPINNING, intraOpNumThreads: 4 };
    const chat = await registry(defaults).load('chat', 'llm');
    await chat.generate({ messages: [{ role: 'user', content: 'hi' }], maxNewTokens: 2, temperature: 0, topP: 1 });
    expect(create).toHaveBeenCalled();
    for (const [, options] of create.mock.calls) {
      expect(options).toMatchObject({ ...NO_SPINNING, intraOpNumThreads: 1, graphOptimizationLevel: 'extended' });
    }
    create.mockClear();
    await registry(defaults).load('ctc', 'ctc');
    expect(create.mock.calls[0]?.[1]).toEqual({ ...NO_SPINNING, intraOpNumThreads: 2, interOpNumThreads: 1 });
  });
});
