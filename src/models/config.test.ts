import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../errors.ts';
import { loadConfig, mmkitHome } from './config.ts';

describe('config file', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'mmkit-config-'));
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function failure(path: string, contents: string): Promise<MmkitError> {
    await writeFile(path, contents);
    const error = await loadConfig({ path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MmkitError);
    return error as MmkitError;
  }

  it('reads MMKIT_HOME/config.json, and is empty when there is none', async () => {
    expect(mmkitHome({ MMKIT_HOME: home })).toBe(home);
    expect(await loadConfig({ env: { MMKIT_HOME: home } })).toEqual({ config: {}, path: undefined });
    const config = {
      defaults: { chat: 'onnx-community/Qwen2.5-0.5B-Instruct', embeddings: { id: 'x/clip', dtype: 'fp16' } },
      models: { gpu: { id: 'openai:llava@http://gpu:8000/v1', apiKey: 'secret', headers: { 'x-team': 'a' } } },
      server: { port: 9000 },
    };
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    const loaded = await loadConfig({ env: { MMKIT_HOME: home } });
    expect(loaded.path).toBe(join(home, 'config.json'));
    // Provider-specific options and other sections pass through.
    expect(loaded.config).toEqual(config);
  });

  it('an explicit --config file must exist', async () => {
    const error = await loadConfig({ path: join(home, 'missing.json') }).catch((caught: unknown) => caught);
    expect((error as MmkitError).code).toBe('config_unreadable');
    expect((error as MmkitError).message).toContain('missing.json');
  });

  it('says which file and which field is wrong, in one line', async () => {
    const path = join(home, 'bad.json');
    expect((await failure(path, '{"defaults": ')).message).toMatch(/bad\.json: not valid JSON/);
    const capability = await failure(path, JSON.stringify({ defaults: { vqa: 'x' } }));
    expect(capability.message).toContain('defaults: unknown key(s) "vqa"; capabilities are chat, visionChat');
    const device = await failure(path, JSON.stringify({ defaults: { chat: { id: 'x', device: 'tpu' } } }));
    expect(device.message).toContain('defaults.chat.device');
    const url = await failure(path, JSON.stringify({ models: { a: { id: 'openai:x', baseURL: 'ftp://h' } } }));
    expect(url.message).toContain('models.a.baseURL');
    for (const error of [capability, device, url]) expect(error.message).not.toContain('\n');
  });
});
