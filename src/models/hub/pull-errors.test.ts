import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { isMmkitError } from '../../errors.ts';
import { pullModel } from './pull.ts';
import { writeTinyRepo } from './test-support/tiny-repo.ts';

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

const settings = (extra: Record<string, unknown> = {}) => ({
  endpoint: server.url,
  home,
  offline: false,
  token: '',
  timeoutMs: 5_000,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the pull to fail');
}

describe('pullModel errors', () => {
  it('names an unknown repo (404)', async () => {
    const { code, message } = await rejection(pullModel('mmkit-test/nope', { settings: settings() }));
    expect(code).toBe('hub_repo_not_found');
    expect(message).toContain('mmkit-test/nope');
    expect(message).toContain('404');
  });

  it('names an unknown revision', async () => {
    const { code, message } = await rejection(pullModel('mmkit-test/tiny', { revision: 'v9', settings: settings() }));
    expect(code).toBe('hub_repo_not_found');
    expect(message).toContain('revision');
  });

  it('asks for HF_TOKEN on a private repo (401), and pulls it with the token', async () => {
    const { code, message } = await rejection(pullModel('mmkit-test/private', { dtype: 'q4', settings: settings() }));
    expect(code).toBe('hub_unauthorized');
    expect(message).toContain('HF_TOKEN');
    const wrong = await rejection(
      pullModel('mmkit-test/private', { dtype: 'q4', settings: settings({ token: 'hf_wrong' }) }),
    );
    expect(wrong.code).toBe('hub_unauthorized');
    const pulled = await pullModel('mmkit-test/private', { dtype: 'q4', settings: settings({ token: 'hf_right' }) });
    expect(pulled.files).toContain('onnx/model_q4.onnx');
  });

  it('says the Hub is unreachable when nothing listens', async () => {
    const closed = await freePort();
    const { code, message } = await rejection(
      pullModel('mmkit-test/tiny', { settings: settings({ endpoint: `http://127.0.0.1:${closed}` }) }),
    );
    expect(code).toBe('hub_unreachable');
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('MMKIT_OFFLINE=1');
  });

  it('gives up on a server that never answers instead of hanging', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)); // accepts connections, never writes
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const { code, message } = await rejection(
        pullModel('mmkit-test/tiny', { settings: settings({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 300 }) }),
      );
      expect(code).toBe('hub_timeout');
      expect(message).toContain('sent nothing');
    } finally {
      for (const socket of sockets) socket.destroy();
      await closeServer(silent);
    }
  });

  it('retries a download that stalls mid-file and resumes it', async () => {
    const stallHome = mkdtempSync(join(tmpdir(), 'mmkit-home-'));
    try {
      server.stallOnce('mmkit-test/tiny', 'onnx/model_q4.onnx_data', 50_000);
      await pullModel('mmkit-test/tiny', { dtype: 'q4', settings: settings({ home: stallHome, timeoutMs: 300 }) });
      const ranges = server.downloadsOf('mmkit-test/tiny', 'onnx/model_q4.onnx_data').map((request) => request.range);
      expect(ranges.slice(-2)).toEqual([undefined, 'bytes=50000-']);
    } finally {
      rmSync(stallHome, { recursive: true, force: true });
    }
  });

  it('reports a cache it cannot write to in one line', async () => {
    const notAFolder = join(home, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const { code, message } = await rejection(
      pullModel('mmkit-test/tiny', { settings: settings({ home: notAFolder }) }),
    );
    expect(code).toBe('cache_io_error');
    expect(message).toContain('ENOTDIR');
    expect(message).toContain('MMKIT_HOME');
  });

  it('refuses to pull while offline, and rejects a malformed id before any request', async () => {
    const before = server.requests.length;
    expect((await rejection(pullModel('mmkit-test/tiny', { settings: settings({ offline: true }) }))).code).toBe(
      'hub_offline',
    );
    expect((await rejection(pullModel('../etc', { settings: settings() }))).code).toBe('model_id_invalid');
    expect(server.requests.length).toBe(before);
  });

  it('follows the paged tree API when the revision API leaves sizes out', async () => {
    const treeServer = await startHubServer({
      repos: [{ id: 'mmkit-test/tiny', folder: repoFolder }],
      revisionWithoutSizes: true,
      treePageSize: 3,
    });
    const treeHome = mkdtempSync(join(tmpdir(), 'mmkit-home-'));
    try {
      const pulled = await pullModel('mmkit-test/tiny', {
        dtype: 'q4',
        settings: settings({ endpoint: treeServer.url, home: treeHome }),
      });
      expect(pulled.files).toContain('onnx/model_q4.onnx_data');
      const pages = treeServer.requests.filter((request) => request.path.includes('/tree/'));
      expect(pages.length).toBe(4); // 10 files, 3 per page
    } finally {
      await treeServer.close();
      rmSync(treeHome, { recursive: true, force: true });
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await closeServer(probe);
  return port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
