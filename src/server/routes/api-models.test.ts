import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubServer, startHubServer } from '../../../testkit/hub-server.ts';
import { runCli } from '../../cli/test-support/run-cli.ts';
import { writeTinyRepo } from '../../models/hub/test-support/tiny-repo.ts';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';

const repoId = 'mmkit-test/tiny';

describe('/api/models, /api/models/pull, DELETE /api/models/<owner>/<name>, /api/ps', () => {
  let hub: HubServer;
  let repoFolder: string;
  let home: string;
  let test: TestServer;

  beforeAll(async () => {
    repoFolder = writeTinyRepo();
    hub = await startHubServer({ repos: [{ id: repoId, folder: repoFolder }] });
    home = await mkdtemp(join(tmpdir(), 'mmkit-api-home-'));
    test = await startTestServer({ hub: { endpoint: hub.url, home, offline: false, token: '', timeoutMs: 5_000 } });
  });
  afterAll(async () => {
    await test?.close();
    await hub?.close();
    await rm(home, { recursive: true, force: true });
    rmSync(repoFolder, { recursive: true, force: true });
  });

  const json = (path: string, init: RequestInit = {}) => fetch(`${test.url}${path}`, init);
  const pull = (body: unknown) =>
    json('/api/models/pull', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('pulls a Hub repo with progress events, lists it, removes it', async () => {
    expect(await (await json('/api/models')).json()).toEqual({ models: [] });
    const events = await readEvents(await pull({ id: repoId, dtype: 'q4' }));
    const progress = eventsOf<{ file: string; bytes: number; total_bytes: number }>(events, 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.bytes).toBe(progress.at(-1)!.total_bytes);
    const [done] = eventsOf<{ id: string; files: string[]; size_bytes: number }>(events, 'done');
    expect(done!.id).toBe(repoId);
    expect(done!.files).toContain('onnx/model_q4.onnx');
    expect(done!.size_bytes).toBe(progress.at(-1)!.total_bytes);

    const { models } = (await (await json('/api/models')).json()) as { models: Record<string, unknown>[] };
    expect(models).toEqual([
      {
        id: repoId,
        capabilities: ['embeddings'], // not a default of anything: its config.json says it is CLIP
        revision: 'main',
        files: done!.files.length,
        size_bytes: done!.size_bytes,
        loaded: false,
      },
    ]);

    const removed = await json(`/api/models/${repoId}`, { method: 'DELETE' });
    expect(await removed.json()).toEqual({ id: repoId, removed: true });
    expect(await (await json('/api/models')).json()).toEqual({ models: [] });
    const again = await json(`/api/models/${repoId}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  it('ends a pull of a repo the Hub does not have with one error event', async () => {
    const events = await readEvents(await pull({ id: 'mmkit-test/absent' }));
    expect(events.map((event) => event.event)).toEqual(['error']);
    expect((events[0]!.data as { error: { message: string } }).error.message).toContain('mmkit-test/absent');
  });

  it.each([
    ['a path', { id: '/etc/passwd' }],
    ['traversal', { id: '../../x' }],
    ['a local folder', { id: './models/x' }],
    ['a URL', { id: 'https://evil.example/x' }],
    ['a double dot', { id: 'a/..b' }],
    ['an unknown field', { id: repoId, folder: '/tmp' }],
    ['a bad dtype', { id: repoId, dtype: '../q4' }],
  ])('refuses to pull %s', async (_name, body) => {
    const response = await pull(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toMatch(/^(id|dtype|folder)$/);
  });

  it('refuses to delete anything but an owner/name id', async () => {
    for (const path of ['/api/models/..%2F..%2Fetc/passwd', '/api/models/a/..', '/api/models/a/b%00c']) {
      const response = await json(path, { method: 'DELETE' });
      expect([400, 404]).toContain(response.status);
      expect(((await response.json()) as { error: { code: string } }).error.code).not.toBe('internal_error');
    }
  });

  it('reports loaded models in /api/ps, which mmkit models ps reads', async () => {
    expect(await (await json('/api/ps')).json()).toEqual({ models: [] });
    const form = new FormData();
    form.set('question', 'colour?');
    form.set('image', new Blob([await solidImage({ r: 0, g: 0, b: 200 })]), 'a.png');
    expect((await json('/qa', { method: 'POST', body: form })).status).toBe(200);
    const { models } = (await (await json('/api/ps')).json()) as { models: Record<string, unknown>[] };
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({
      capability: 'visionChat',
      pid: process.pid,
      state: 'idle',
      queue: 0,
      expires_in_ms: null,
    });
    expect(models[0]!.key).toMatch(/^chat:onnx:.*llava$/);
    expect(models[0]!.rss_bytes).toEqual(expect.any(Number));
    const cli = await runCli(['models', 'ps', '--json', '--url', test.url]);
    expect(cli.stderr).toBe('');
    expect(JSON.parse(cli.stdout)).toEqual([
      expect.objectContaining({ key: models[0]!.key, capability: 'visionChat', state: 'idle', queueLength: 0 }),
    ]);

    const unload = (body: string) =>
      json('/api/unload', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const unloaded = await unload(JSON.stringify({ key: models[0]!.key }));
    expect(await unloaded.json()).toEqual({ key: models[0]!.key, unloaded: true });
    expect(await (await json('/api/ps')).json()).toEqual({ models: [] });
    const again = await unload(JSON.stringify({ key: models[0]!.key }));
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('model_not_loaded');
    expect((await unload('{"key": 1}')).status).toBe(400);
    expect((await unload('not json')).status).toBe(400);
    // The model loads again on the next request.
    const green = new FormData();
    green.set('question', 'colour?');
    green.set('image', new Blob([await solidImage({ r: 0, g: 200, b: 0 })]), 'b.png');
    expect(await (await json('/qa', { method: 'POST', body: green })).json()).toMatchObject({ answer: 'green' });
  });
});
