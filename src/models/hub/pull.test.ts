import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { isMmkitError } from '../../errors.ts';
import { readManifest, repoPaths } from './cache-layout.ts';
import { type PullProgress, pullModel } from './pull.ts';
import { tinyRepoFiles, writeTinyRepo } from './test-support/tiny-repo.ts';

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
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const settings = () => ({ endpoint: server.url, home, offline: false, token: '', timeoutMs: 5_000 });
const snapshotFile = (path: string) => readFileSync(join(repoPaths(home, repoId, 'main').snapshot, path));
const sourceBytes = (path: string) => Buffer.from(tinyRepoFiles[path]!);

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the pull to fail');
}

describe('pullModel', () => {
  it('downloads the small files and the chosen dtype only, byte for byte, into an HF-layout folder', async () => {
    const events: PullProgress[] = [];
    const result = await pullModel(repoId, {
      dtype: 'q4',
      settings: settings(),
      onProgress: (event) => events.push(event),
    });
    expect(result.files).toEqual([
      'chat_template.jinja',
      'config.json',
      'generation_config.json',
      'onnx/model_q4.onnx',
      'onnx/model_q4.onnx_data',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(result.commit).toBe(server.commitOf(repoId));
    for (const path of result.files) expect(snapshotFile(path).equals(sourceBytes(path))).toBe(true);
    expect(existsSync(join(result.folder, 'onnx/model.onnx'))).toBe(false);
    expect(server.downloadsOf(repoId, 'model.safetensors')).toHaveLength(0);
    expect(server.downloadsOf(repoId, 'onnx/model.onnx')).toHaveLength(0);
    // Bytes are reported per file and in total, ending at the total.
    const last = events.filter((event) => event.phase === 'downloading').at(-1)!;
    expect(last.total).toBe(result.totalBytes);
    expect(last.bytes).toBe(result.totalBytes);
    expect(events.at(-1)?.phase).toBe('done');
    const manifest = await readManifest(repoPaths(home, repoId, 'main').manifest);
    expect(manifest?.files).toEqual(result.files);
    expect(manifest?.remoteFiles.find((file) => file.path === 'onnx/model_q4.onnx')?.lfs).toBe(true);
  });

  it('fetches LFS files from the CDN the Hub redirects to, and nothing again on a second pull', async () => {
    await pullModel(repoId, { dtype: 'q4', settings: { ...settings(), token: 'secret' } });
    const cdn = server.requests.filter((request) => request.origin === 'cdn');
    expect(cdn).toHaveLength(2);
    expect(cdn.every((request) => request.authorization === undefined)).toBe(true);
    server.requests.length = 0;
    const again = await pullModel(repoId, { dtype: 'q4', settings: settings() });
    expect(again.downloadedBytes).toBe(0);
    expect(server.requests.map((request) => request.path)).toEqual([`/api/models/${repoId}/revision/main?blobs=true`]);
  });

  it('resumes a file whose connection was cut mid-way with a Range request', async () => {
    server.cutOnce(repoId, 'onnx/model_q4.onnx_data', 70_000);
    await pullModel(repoId, { dtype: 'q4', settings: settings() });
    const downloads = server.downloadsOf(repoId, 'onnx/model_q4.onnx_data');
    expect(downloads.map((request) => request.range)).toEqual([undefined, 'bytes=70000-']);
    expect(snapshotFile('onnx/model_q4.onnx_data').equals(sourceBytes('onnx/model_q4.onnx_data'))).toBe(true);
  });

  it('keeps an interrupted pull as a partial file and resumes it in the next run', async () => {
    // The server sends 100 kB and holds the connection; the user gives up (Ctrl-C) at that point.
    server.stallOnce(repoId, 'onnx/model.onnx', 100_000);
    const controller = new AbortController();
    const interrupted = pullModel(repoId, {
      dtype: 'fp32',
      settings: settings(),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.file === 'onnx/model.onnx' && (event.fileBytes ?? 0) >= 100_000)
          controller.abort(new Error('user stop'));
      },
    });
    await expect(interrupted).rejects.toThrow('user stop');
    const partial = readdirSync(repoPaths(home, repoId, 'main').partial);
    expect(partial).toHaveLength(1);
    await pullModel(repoId, { dtype: 'fp32', settings: settings() });
    const [, resumed] = server.downloadsOf(repoId, 'onnx/model.onnx');
    const offset = Number(resumed?.range?.match(/^bytes=(\d+)-$/)?.[1]);
    expect(offset).toBeGreaterThanOrEqual(100_000);
    expect(offset).toBeLessThan(300_000);
    expect(snapshotFile('onnx/model.onnx').equals(sourceBytes('onnx/model.onnx'))).toBe(true);
    expect(readdirSync(repoPaths(home, repoId, 'main').partial)).toHaveLength(0);
  });

  it('rejects a corrupt file: not cached, partial removed, and the next pull succeeds', async () => {
    server.corrupt(repoId, 'onnx/model_q4.onnx');
    try {
      const { code, message } = await rejection(pullModel(repoId, { dtype: 'q4', settings: settings() }));
      expect(code).toBe('hub_file_corrupt');
      expect(message).toContain('onnx/model_q4.onnx');
      expect(message).toContain('sha256');
    } finally {
      server.repair(repoId, 'onnx/model_q4.onnx');
    }
    const paths = repoPaths(home, repoId, 'main');
    expect(existsSync(join(paths.snapshot, 'onnx/model_q4.onnx'))).toBe(false);
    expect(readdirSync(paths.partial)).toHaveLength(0);
    expect((await readManifest(paths.manifest))?.files).not.toContain('onnx/model_q4.onnx');
    await pullModel(repoId, { dtype: 'q4', settings: settings() });
    expect(snapshotFile('onnx/model_q4.onnx').equals(sourceBytes('onnx/model_q4.onnx'))).toBe(true);
  });

  it('checks regular (non-LFS) files against their git blob id', async () => {
    server.corrupt(repoId, 'tokenizer.json');
    try {
      const { code, message } = await rejection(pullModel(repoId, { dtype: 'q4', settings: settings() }));
      expect(code).toBe('hub_file_corrupt');
      expect(message).toContain('tokenizer.json');
      expect(message).toContain('git blob id');
    } finally {
      server.repair(repoId, 'tokenizer.json');
    }
  });

  it('lets two concurrent pulls of one repo finish with every file downloaded once', async () => {
    const [first, second] = await Promise.all([
      pullModel(repoId, { dtype: 'q4', settings: settings() }),
      pullModel(repoId, { dtype: 'q4', settings: settings() }),
    ]);
    expect(first.files).toEqual(second.files);
    expect(first.downloadedBytes + second.downloadedBytes).toBe(first.totalBytes);
    for (const path of first.files) {
      expect(server.downloadsOf(repoId, path)).toHaveLength(1);
      expect(snapshotFile(path).equals(sourceBytes(path))).toBe(true);
    }
    expect(existsSync(repoPaths(home, repoId, 'main').lock)).toBe(false);
  });

  it('adds a second dtype beside the first without fetching shared files again', async () => {
    await pullModel(repoId, { dtype: 'q4', settings: settings() });
    server.requests.length = 0;
    const fp32 = await pullModel(repoId, { dtype: 'fp32', settings: settings() });
    expect(fp32.downloadedBytes).toBe(300_000);
    const manifest = await readManifest(repoPaths(home, repoId, 'main').manifest);
    expect(manifest?.files).toContain('onnx/model_q4.onnx');
    expect(manifest?.files).toContain('onnx/model.onnx');
  });
});

describe('pullModel when the revision moves', () => {
  it('replaces changed files and drops vanished ones, so a snapshot never mixes two commits', async () => {
    const before = writeTinyRepo({ 'onnx/extra_q4.onnx': Buffer.from('old graph') });
    const after = writeTinyRepo({ 'tokenizer_config.json': JSON.stringify({ unk_token: '[UNK]', changed: true }) });
    const servers = [
      await startHubServer({ repos: [{ id: repoId, folder: before }] }),
      await startHubServer({ repos: [{ id: repoId, folder: after }] }),
    ];
    try {
      const first = await pullModel(repoId, { dtype: 'q4', settings: { ...settings(), endpoint: servers[0]!.url } });
      expect(first.files).toContain('onnx/extra_q4.onnx');
      const second = await pullModel(repoId, { dtype: 'q4', settings: { ...settings(), endpoint: servers[1]!.url } });
      expect(second.commit).not.toBe(first.commit);
      expect(existsSync(join(second.folder, 'onnx/extra_q4.onnx'))).toBe(false);
      expect(JSON.parse(snapshotFile('tokenizer_config.json').toString()).changed).toBe(true);
      // Unchanged weights were kept, not fetched again.
      expect(servers[1]!.downloadsOf(repoId, 'onnx/model_q4.onnx_data')).toHaveLength(0);
      expect(second.downloadedBytes).toBe(snapshotFile('tokenizer_config.json').length);
    } finally {
      for (const hub of servers) await hub.close();
      for (const folder of [before, after]) rmSync(folder, { recursive: true, force: true });
    }
  });
});
