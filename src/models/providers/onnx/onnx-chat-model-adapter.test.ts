import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../../errors.ts';
import { buildNamedEchoModel, writeLowercaseAdapter } from '../../adapters/test-support/lowercase-adapter.ts';
import type { ChatRequest } from '../../spec/index.ts';
import { OnnxChatModel } from './onnx-chat-model.ts';
import { createOnnxProvider } from './provider.ts';

const ask = (content: string): ChatRequest => ({
  maxNewTokens: 64,
  temperature: 0,
  topP: 1,
  messages: [{ role: 'user', content }],
});

describe('OnnxChatModel with a LoRA adapter (the echo model and a lowercasing adapter)', () => {
  let root: string;
  let modelFolder: string;
  let adapterFolder: string;
  let cacheRoot: string;
  const previousHome = process.env.MMKIT_HOME;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-chat-adapter-'));
    modelFolder = join(root, 'llm');
    adapterFolder = join(root, 'lowercase');
    cacheRoot = join(root, 'home');
    process.env.MMKIT_HOME = cacheRoot;
    await buildNamedEchoModel(modelFolder);
    writeLowercaseAdapter(adapterFolder);
  });

  afterAll(async () => {
    if (previousHome === undefined) delete process.env.MMKIT_HOME;
    else process.env.MMKIT_HOME = previousHome;
    await rm(root, { recursive: true, force: true });
  });

  it('answers as the base model without it, and in lower case with it, merged or as a side path', async () => {
    const base = await OnnxChatModel.load(modelFolder);
    try {
      expect((await base.generate(ask('Hello World, MMKIT 2!'))).text).toBe('Hello World, MMKIT 2!');
      expect(base.adapter).toBeUndefined();
    } finally {
      await base.dispose();
    }
    const warnings: string[] = [];
    for (const adapterMode of ['merge', 'side-path'] as const) {
      const tuned = await OnnxChatModel.load(modelFolder, {
        adapter: adapterFolder,
        adapterMode,
        onWarning: (m) => warnings.push(m),
      });
      try {
        expect((await tuned.generate(ask('Hello World, MMKIT 2!'))).text).toBe('hello world, mmkit 2!');
        const applied = tuned.adapter?.files['onnx/model.onnx'];
        expect(adapterMode === 'merge' ? applied?.merged : applied?.sidePaths).toEqual([
          '/model/layers.1/self_attn/o_proj',
        ]);
      } finally {
        await tuned.dispose();
      }
    }
    expect(warnings).toEqual([]);
    // One cached build per mode, nothing half-built.
    expect((await readdir(join(cacheRoot, 'adapted'))).filter((name) => !name.startsWith('.'))).toHaveLength(2);
    expect((await readdir(join(cacheRoot, 'adapted'))).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('is reached through the provider with the entry option `adapter`, and refused for other capabilities', async () => {
    const provider = createOnnxProvider();
    expect(provider.acceptsAdapters).toBe(true);
    const entry = {
      id: `onnx:${modelFolder}`,
      provider: 'onnx',
      model: modelFolder,
      source: 'test',
      options: { adapter: adapterFolder },
    };
    const chat = provider.models.chat;
    const model = await chat!(entry, {});
    try {
      expect((await model.generate(ask('ABC'))).text).toBe('abc');
    } finally {
      await (model as OnnxChatModel).dispose();
    }
    const refused = await provider.models.embeddings!(entry, {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MmkitError);
    expect((refused as MmkitError).message).toMatch(/adapters apply to chat models, not to embeddings models/);
  });
});
