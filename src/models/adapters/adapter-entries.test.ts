import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { loadConfig, parseConfig } from '../config.ts';
import { type ModelEntry, type ModelProvider, ModelRegistry } from '../registry.ts';
import type { ChatModel } from '../spec/index.ts';

/** Config `adapters` and their resolution by the registry: an adapter is a model name of its own. */
describe('adapters in the config and the registry', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'mmkit-adapter-entries-'));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const config = () =>
    parseConfig(
      {
        defaults: { chat: 'tuned' },
        models: { small: { id: '/models/llm', dtype: 'q4' } },
        adapters: {
          tuned: { base: 'small', path: '/adapters/tuned' },
          direct: { base: 'onnx-community/Qwen2.5-0.5B-Instruct', path: '/adapters/direct', mode: 'side-path' },
          loop: { base: 'tuned', path: '/adapters/loop' },
          remote: { base: 'openai:llava@http://gpu:8000/v1', path: '/adapters/remote' },
        },
      },
      'test config',
    );

  it('reads adapter paths relative to the config file, and refuses unknown keys', async () => {
    const path = join(home, 'config.json');
    await writeFile(path, JSON.stringify({ adapters: { tuned: { base: 'x/y', path: 'adapters/tuned' } } }));
    const { config: loaded } = await loadConfig({ path });
    expect(loaded.adapters).toEqual({ tuned: { base: 'x/y', path: join(home, 'adapters', 'tuned') } });
    await writeFile(path, JSON.stringify({ adapters: { tuned: { base: 'x/y', path: 'a', rank: 8 } } }));
    const error = await loadConfig({ path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MmkitError);
    expect((error as MmkitError).message).toMatch(/adapters\.tuned: unknown key\(s\) "rank"/);
  });

  it('resolves an adapter name to its base entry with the adapter folder as an option', () => {
    const registry = new ModelRegistry({ config: config() });
    expect(registry.resolve('chat', 'tuned')).toMatchObject({
      id: 'onnx:/models/llm',
      options: { dtype: 'q4', adapter: '/adapters/tuned' },
      source: 'config adapters.tuned',
      adapter: { name: 'tuned', path: '/adapters/tuned' },
    });
    // A default may name an adapter too.
    expect(registry.resolve('chat').adapter?.name).toBe('tuned');
    expect(registry.resolve('visionChat', 'direct')).toMatchObject({
      id: 'onnx:onnx-community/Qwen2.5-0.5B-Instruct',
      options: { adapter: '/adapters/direct', adapterMode: 'side-path' },
    });
    // The base alone has no adapter.
    expect(registry.resolve('chat', 'small').options.adapter).toBeUndefined();
    expect(() => registry.resolve('chat', 'loop')).toThrow(/adapters\.loop: base "tuned" is another adapter/);
  });

  it('hands the adapter to providers that apply adapters, and refuses it for others', async () => {
    const seen: ModelEntry[] = [];
    const fake: ModelProvider = {
      name: 'onnx',
      acceptsAdapters: true,
      models: {
        chat: async (entry) => {
          seen.push(entry);
          return { description: { id: entry.id, provider: 'onnx' } } as unknown as ChatModel;
        },
      },
    };
    const remote: ModelProvider = { name: 'openai', models: { chat: async () => ({}) as ChatModel } };
    const registry = new ModelRegistry({ config: config(), providers: [fake, remote] });
    await registry.load('chat', 'tuned');
    expect(seen[0].options.adapter).toBe('/adapters/tuned');
    const error = await registry.load('chat', 'remote').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MmkitError);
    expect((error as MmkitError).code).toBe('adapter_unsupported');
    expect((error as MmkitError).message).toMatch(/openai:ADAPTER_NAME@URL/);
  });
});
