import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../testkit/build.ts';
import { MmkitError } from '../errors.ts';
import { parseConfig } from './config.ts';
import { DEFAULT_MODELS } from './default-models.ts';
import { createOnnxProvider } from './providers/onnx/provider.ts';
import { type ModelEntry, type ModelProvider, ModelRegistry } from './registry.ts';
import type { ChatModel, ImageGenerationModel } from './spec/index.ts';

async function failure(run: () => unknown): Promise<MmkitError> {
  const error = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(MmkitError);
  return error as MmkitError;
}

describe('ModelRegistry', () => {
  let root: string;
  let llm: string;
  let clip: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-registry-'));
    llm = join(root, 'llm');
    clip = join(root, 'clip');
    await buildTinyModel('llm', llm);
    await buildTinyModel('clip', clip);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('has a built-in default for every capability', () => {
    const registry = new ModelRegistry();
    expect(registry.resolve('chat')).toMatchObject({
      id: 'onnx:onnx-community/Qwen2.5-0.5B-Instruct',
      options: { dtype: 'q8' },
      source: 'built-in default',
    });
    expect(registry.resolve('imageGeneration').id).toBe('onnx:onnxruntime/sd-turbo');
    expect(Object.keys(DEFAULT_MODELS).sort()).toEqual(
      ['chat', 'ctc', 'embeddings', 'imageGeneration', 'ocr', 'speech', 'transcription', 'visionChat'].sort(),
    );
  });

  it('lets the config override defaults, name entries, and lend options to ids typed on the command line', () => {
    const config = parseConfig(
      {
        defaults: { chat: 'fast', embeddings: { id: clip, device: 'cpu' } },
        models: {
          fast: { id: llm, dtype: 'fp32' },
          gpu: { id: 'openai:llava@http://gpu:8000/v1', apiKey: 'k' },
        },
      },
      'test config',
    );
    const registry = new ModelRegistry({ config });
    expect(registry.resolve('chat')).toMatchObject({
      id: `onnx:${llm}`,
      options: { dtype: 'fp32' },
      source: 'config models.fast',
    });
    expect(registry.resolve('embeddings')).toMatchObject({ model: clip, options: { device: 'cpu' } });
    expect(registry.resolve('visionChat', 'gpu')).toMatchObject({
      provider: 'openai',
      model: 'llava',
      options: { apiKey: 'k', baseURL: 'http://gpu:8000/v1' },
    });
    // The same id typed out picks up the entry's key; a different host does not.
    expect(registry.resolve('chat', 'openai:llava@http://gpu:8000/v1').options).toEqual({
      apiKey: 'k',
      baseURL: 'http://gpu:8000/v1',
    });
    expect(registry.resolve('chat', 'openai:llava@http://other:8000/v1').options).toEqual({
      baseURL: 'http://other:8000/v1',
    });
    expect(registry.resolve('ocr').source).toBe('built-in default');
  });

  it('loads through the onnx provider: chat from a configured default, embeddings from a folder id', async () => {
    const registry = new ModelRegistry({
      config: parseConfig({ defaults: { chat: llm } }, 'test'),
      providers: [createOnnxProvider()],
    });
    const chat = await registry.load('chat');
    expect(chat.description.id).toBe(`onnx:${llm}`);
    const answer = await chat.generate({
      messages: [{ role: 'user', content: '你好' }],
      maxNewTokens: 16,
      temperature: 0,
      topP: 1,
    });
    expect(answer.text).toBe('你好');
    const embeddings = await registry.load('embeddings', `onnx:${clip}`);
    expect(embeddings.dimensions).toBe(8);
    // The text-only llm is refused as a vision model.
    expect((await failure(() => registry.load('visionChat', llm))).code).toBe('images_not_supported');
  });

  it('hands entries to registered providers, and explains unknown providers and unserved capabilities', async () => {
    const seen: unknown[] = [];
    const fake: ModelProvider = {
      name: 'openai',
      models: {
        chat: async (entry) => {
          seen.push(entry);
          return { description: { id: entry.id, provider: 'openai' } } as ChatModel;
        },
      },
    };
    const registry = new ModelRegistry({ providers: [createOnnxProvider(), fake] });
    const model = await registry.load('chat', 'openai:llava@http://host:8000/v1');
    expect(model.description.id).toBe('openai:llava@http://host:8000/v1');
    expect(seen).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'llava', options: { baseURL: 'http://host:8000/v1' } }),
    ]);
    const unknown = await failure(() => registry.load('chat', 'vllm:qwen'));
    expect(unknown.code).toBe('provider_unknown');
    expect(unknown.message).toContain('available: onnx, openai');
    expect((await failure(() => registry.load('speech', 'openai:tts-1'))).code).toBe('capability_unsupported');
    expect((await failure(() => registry.load('chat', 'openai:'))).code).toBe('model_id_invalid');
  });

  it('the local-only onnx resolver says how to get a Hub model', async () => {
    const registry = new ModelRegistry({ providers: [createOnnxProvider()] });
    const error = await failure(() => registry.load('chat'));
    expect(error.code).toBe('model_not_downloaded');
    expect(error.message).toContain('mmkit models pull onnx-community/Qwen2.5-0.5B-Instruct');
  });

  it('passes the entry dtype to a pluggable folder resolver (the Hub client)', async () => {
    const calls: unknown[] = [];
    const registry = new ModelRegistry({
      config: parseConfig({ models: { tiny: { id: 'org/tiny', dtype: 'fp32' } } }, 'test'),
      providers: [
        createOnnxProvider({
          resolveFolder: async (id, options) => {
            calls.push({ id, ...options });
            return llm;
          },
        }),
      ],
    });
    const model = (await registry.load('chat', 'tiny')) as ChatModel;
    expect(calls).toEqual([{ id: 'org/tiny', dtype: 'fp32' }]);
    expect(model.description.id).toBe('onnx:org/tiny');
  });

  it('puts per-call load options on top of the entry, for that load only', async () => {
    const seen: ModelEntry[] = [];
    const fake: ModelProvider = {
      name: 'onnx',
      models: {
        imageGeneration: async (entry) => {
          seen.push(entry);
          return { description: { id: entry.id, provider: 'onnx' } } as ImageGenerationModel;
        },
      },
    };
    const registry = new ModelRegistry({
      config: parseConfig({ models: { sd: { id: 'org/sd', dtype: 'fp16', scheduler: 'ddim' } } }, 'test'),
      providers: [fake],
    });
    const chosen = await registry.load('imageGeneration', 'sd', {
      options: { scheduler: 'euler', vaeSlicing: true, dtype: undefined },
    });
    const plain = await registry.load('imageGeneration', 'sd');
    // Two loads of one entry with different options are two models: the registry remembers neither.
    expect(chosen).not.toBe(plain);
    expect(seen.map((entry) => [entry.id, entry.source, entry.options])).toEqual([
      ['onnx:org/sd', 'config models.sd', { dtype: 'fp16', scheduler: 'euler', vaeSlicing: true }],
      ['onnx:org/sd', 'config models.sd', { dtype: 'fp16', scheduler: 'ddim' }],
    ]);
  });

  it('checks a per-call adapter like a configured one: refused by providers that do not apply adapters', async () => {
    const registry = new ModelRegistry({
      providers: [{ name: 'openai', models: { chat: async () => ({}) as ChatModel } }],
    });
    const refused = await failure(() =>
      registry.load('chat', 'openai:llava@http://gpu:8000/v1', { options: { adapter: '/adapters/tuned' } }),
    );
    expect(refused.code).toBe('adapter_unsupported');
    await expect(registry.load('chat', 'openai:llava@http://gpu:8000/v1')).resolves.toBeDefined();
  });
});
