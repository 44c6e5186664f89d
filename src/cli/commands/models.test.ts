import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { writeTinyRepo } from '../../models/hub/test-support/tiny-repo.ts';
import { runCli } from '../test-support/run-cli.ts';

let server: HubServer;
let repoFolder: string;
let home: string;

beforeAll(async () => {
  repoFolder = writeTinyRepo();
  home = mkdtempSync(join(tmpdir(), 'mmkit-home-'));
  server = await startHubServer({
    repos: [
      { id: 'mmkit-test/tiny', folder: repoFolder },
      { id: 'mmkit-test/private', folder: repoFolder, private: true },
    ],
    token: 'hf_right',
  });
});
afterAll(async () => {
  await server.close();
  rmSync(repoFolder, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}) => ({
  MMKIT_HOME: home,
  HF_ENDPOINT: server.url,
  HF_TOKEN: '',
  MMKIT_OFFLINE: '',
  ...extra,
});

describe('mmkit models', () => {
  it('pull --json downloads the chosen dtype and prints one JSON document', async () => {
    const result = await runCli(['models', 'pull', 'mmkit-test/tiny', '--dtype', 'q4', '--json'], { env: env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const pulled = JSON.parse(result.stdout);
    expect(pulled).toMatchObject({
      id: 'mmkit-test/tiny',
      revision: 'main',
      commit: server.commitOf('mmkit-test/tiny'),
    });
    expect(pulled.files).toContain('onnx/model_q4.onnx_data');
    expect(pulled.files).not.toContain('onnx/model.onnx');
    expect(existsSync(join(pulled.folder, 'onnx', 'model_q4.onnx'))).toBe(true);
  });

  it('list shows the cached model with its files and size, in text and JSON', async () => {
    const text = await runCli(['models', 'list'], { env: env() });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID\s+REVISION\s+COMMIT\s+FILES\s+SIZE/);
    expect(text.stdout).toMatch(/mmkit-test\/tiny\s+main\s+[0-9a-f]{7}\s+7\s+3\d\d\.\d kB/);
    const json = JSON.parse((await runCli(['models', 'list', '--json'], { env: env() })).stdout);
    expect(json).toEqual([expect.objectContaining({ id: 'mmkit-test/tiny', files: 7 })]);
  });

  it('one-line errors: unknown repo, missing token, bad dtype, unknown model to remove', async () => {
    const missing = await runCli(['models', 'pull', 'mmkit-test/nope'], { env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mmkit: model mmkit-test\/nope was not found on the Hub \(HTTP 404\)[^\n]*\n$/);
    const gated = await runCli(['models', 'pull', 'mmkit-test/private'], { env: env() });
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/^mmkit: [^\n]*set HF_TOKEN[^\n]*\n$/);
    const dtype = await runCli(['models', 'pull', 'mmkit-test/tiny', '--dtype', 'q3'], { env: env() });
    expect(dtype.stderr).toMatch(/^mmkit: --dtype must be one of [^\n]*got 'q3'\n$/);
    const rm = await runCli(['models', 'rm', 'mmkit-test/other'], { env: env() });
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/^mmkit: mmkit-test\/other is not in the model cache[^\n]*\n$/);
  });

  it('pulls a private repo with HF_TOKEN', async () => {
    const result = await runCli(['models', 'pull', 'mmkit-test/private', '--dtype', 'q4', '--json'], {
      env: env({ HF_TOKEN: 'hf_right' }),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).files).toContain('tokenizer.json');
  });

  it('refuses to pull offline, then rm frees the cache', async () => {
    const offline = await runCli(['models', 'pull', 'mmkit-test/tiny'], { env: env({ MMKIT_OFFLINE: '1' }) });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('MMKIT_OFFLINE=1');
    const removed = await runCli(['models', 'rm', 'mmkit-test/tiny'], { env: env() });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/^removed mmkit-test\/tiny \(3\d\d\.\d kB freed\)\n$/);
    const list = JSON.parse((await runCli(['models', 'list', '--json'], { env: env() })).stdout);
    expect(list.map((model: { id: string }) => model.id)).toEqual(['mmkit-test/private']);
  });
});
