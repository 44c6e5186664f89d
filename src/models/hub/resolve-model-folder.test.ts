import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { isMmkitError } from '../../errors.ts';
import { listCachedModels, removeCachedModel } from './cache-inventory.ts';
import { repoPaths } from './cache-layout.ts';
import { resolveModelFolder } from './resolve-model-folder.ts';
import { writeTinyRepo } from './test-support/tiny-repo.ts';

const repoId = 'mmkit-test/tiny';
let server: HubServer;
let repoFolder: string;
let home: string;

beforeAll(async () => {
  repoFolder = writeTinyRepo();
  server = await startHubServer({ repos: [{ id: repoId, folder: repoFolder }] });
});
afterAll(async () => {
  await server.close();
  rmSync(repoFolder, { recursive: true, force: true });
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'mmkit-home-'));
  server.requests.length = 0;
  return () => rmSync(home, { recursive: true, force: true });
});

const online = () => ({ endpoint: server.url, home, offline: false, token: '', timeoutMs: 5_000 });
const offline = () => ({ ...online(), offline: true });

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('resolveModelFolder', () => {
  it('pulls a repo id on first use, then answers offline from the cache without any request', async () => {
    const folder = await resolveModelFolder(repoId, { dtype: 'q4', settings: online() });
    expect(folder).toBe(repoPaths(home, repoId, 'main').snapshot);
    server.requests.length = 0;
    expect(await resolveModelFolder(repoId, { dtype: 'q4', settings: offline() })).toBe(folder);
    expect(await resolveModelFolder(repoId, { dtype: 'q4', settings: online() })).toBe(folder);
    expect(server.requests).toHaveLength(0);
  });

  it('gives a folder Transformers.js loads with local_files_only', async () => {
    const folder = await resolveModelFolder(repoId, { dtype: 'q4', settings: online() });
    const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
    expect(tokenizer.encode('red blue green', { add_special_tokens: false })).toEqual([1, 3, 2]);
  });

  it('offline, names the missing files of another dtype and the pull command to run', async () => {
    await resolveModelFolder(repoId, { dtype: 'q4', settings: online() });
    const { code, message } = await rejection(resolveModelFolder(repoId, { dtype: 'fp32', settings: offline() }));
    expect(code).toBe('model_not_cached');
    expect(message).toContain('onnx/model.onnx');
    expect(message).toContain('MMKIT_OFFLINE=1');
    expect(message).toContain('`mmkit models pull mmkit-test/tiny --dtype fp32`');
  });

  it('offline, says a model was never pulled', async () => {
    const { code, message } = await rejection(resolveModelFolder('mmkit-test/other', { settings: offline() }));
    expect(code).toBe('model_not_cached');
    expect(message).toContain('mmkit-test/other is not in the model cache');
    expect(message).toContain('`mmkit models pull mmkit-test/other`');
    expect(server.requests).toHaveLength(0);
  });

  it('uses a local folder in HF layout as is, and rejects a folder that is not a model', async () => {
    expect(await resolveModelFolder(repoFolder, { settings: offline() })).toBe(repoFolder);
    const empty = mkdtempSync(join(tmpdir(), 'mmkit-empty-'));
    try {
      expect((await rejection(resolveModelFolder(empty, { settings: offline() }))).code).toBe('model_folder_invalid');
      expect((await rejection(resolveModelFolder(join(empty, 'nope'), { settings: offline() }))).code).toBe(
        'model_folder_missing',
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('prefers a relative owner/name folder that holds a model over the Hub', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mmkit-cwd-'));
    const previous = process.cwd();
    try {
      mkdirSync(join(workspace, 'local-org', 'model'), { recursive: true });
      writeFileSync(join(workspace, 'local-org', 'model', 'config.json'), '{}');
      process.chdir(workspace);
      expect(await resolveModelFolder('local-org/model', { settings: offline() })).toBe(
        join(workspace, 'local-org', 'model'),
      );
    } finally {
      process.chdir(previous);
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});

describe('listCachedModels and removeCachedModel', () => {
  it('lists what was pulled with its size, and removes it', async () => {
    await resolveModelFolder(repoId, { dtype: 'q4', settings: online() });
    const [model, ...others] = await listCachedModels({ home });
    expect(others).toHaveLength(0);
    expect(model).toMatchObject({ id: repoId, revision: 'main', commit: server.commitOf(repoId), files: 7 });
    expect(model?.sizeBytes).toBeGreaterThan(300_000);
    const removed = await removeCachedModel(repoId, { home });
    expect(removed.freedBytes).toBe(model?.sizeBytes);
    expect(await listCachedModels({ home })).toEqual([]);
    const { code, message } = await rejection(removeCachedModel(repoId, { home }));
    expect(code).toBe('model_not_cached');
    expect(message).toContain('mmkit models list');
  });

  it('pulls a Stable Diffusion repo with its VAE encoder, and a cache pulled without one still loads offline', async () => {
    const sdFolder = mkdtempSync(join(tmpdir(), 'mmkit-sd-repo-'));
    await buildTinyModel('sd', sdFolder);
    const sdServer = await startHubServer({ repos: [{ id: 'mmkit-test/sd', folder: sdFolder }] });
    try {
      const settings = { ...online(), endpoint: sdServer.url };
      const folder = await resolveModelFolder('mmkit-test/sd', { settings });
      expect(readFileSync(join(folder, 'vae_encoder', 'model.onnx')).length).toBeGreaterThan(0);
      // What an older mmkit left: no encoder in the snapshot or the manifest.
      rmSync(join(folder, 'vae_encoder'), { recursive: true });
      const manifestPath = repoPaths(home, 'mmkit-test/sd', 'main').manifest;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: string[] };
      manifest.files = manifest.files.filter((path) => !path.startsWith('vae_encoder/'));
      writeFileSync(manifestPath, JSON.stringify(manifest));
      expect(await resolveModelFolder('mmkit-test/sd', { settings: { ...settings, offline: true } })).toBe(folder);
    } finally {
      await sdServer.close();
      rmSync(sdFolder, { recursive: true, force: true });
    }
  });
});
