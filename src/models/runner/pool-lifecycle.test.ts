import { afterEach, describe, expect, it } from 'vitest';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, isAlive, waitUntil } from './test-support/fake-spec.ts';

const MB = 1024 * 1024;
let pool: ModelRunnerPool;
afterEach(() => pool?.shutdown());

const keys = async () => (await pool.status()).map((row) => row.key);

describe('ModelRunnerPool: keep-alive and eviction', () => {
  it('keep-alive 0 unloads right after the last request; the next call loads it again', async () => {
    pool = new ModelRunnerPool({ keepAliveMs: 0 });
    const chat = await pool.acquire(fakeSpec('brief'));
    const pid = Number((await chat.generate(chatRequest('pid'))).text);
    await waitUntil(() => !isAlive(pid), 'the runner ends after its request');
    expect(await pool.status()).toEqual([]);
    const second = Number((await chat.generate(chatRequest('pid'))).text);
    expect(second).not.toBe(pid);
  });

  it('a keep-alive unloads the idle model when it runs out, and status counts it down', async () => {
    pool = new ModelRunnerPool();
    const chat = await pool.acquire(fakeSpec('short', {}, { keepAliveMs: 400 }));
    await chat.generate(chatRequest('hi'));
    const [row] = await pool.status();
    expect(row).toMatchObject({ key: 'short', state: 'idle' });
    expect(row!.expiresInMs).toBeLessThanOrEqual(400);
    expect(row!.expiresInMs).toBeGreaterThan(0);
    await waitUntil(() => !isAlive(row!.pid!), 'keep-alive unloads the model');
    expect(await pool.status()).toEqual([]);
  });

  it('loading past maxLoadedModels unloads the least recently used idle model', async () => {
    pool = new ModelRunnerPool({ maxLoadedModels: 2 });
    const first = await pool.acquire(fakeSpec('first'));
    await pool.acquire(fakeSpec('second'));
    await first.generate(chatRequest('use the first again'));
    await pool.acquire(fakeSpec('third'));
    expect(await keys()).toEqual(['first', 'third']);
  });

  it('never evicts a model with a request running: the new load waits for it', async () => {
    pool = new ModelRunnerPool({ maxLoadedModels: 1 });
    const busy = await pool.acquire(fakeSpec('busy'));
    const running = busy.generate(chatRequest('slow:600'));
    await waitUntil(async () => (await pool.status())[0]?.state === 'busy', 'the request runs');
    const waiting = pool.acquire(fakeSpec('waiting'));
    await waitUntil(async () => (await keys()).includes('waiting'), 'the second load is pending');
    const rows = await pool.status();
    expect(rows.find((row) => row.key === 'waiting')).toMatchObject({ state: 'loading', pid: null });
    expect(rows.find((row) => row.key === 'busy')).toMatchObject({ state: 'busy' });
    expect((await running).text).toBe('echo: slow:600');
    const next = await waiting;
    expect((await next.generate(chatRequest('loaded after'))).text).toBe('echo: loaded after');
    expect(await keys()).toEqual(['waiting']);
  });

  it('keeps resident memory under the budget by unloading idle models, but never the last one', async () => {
    pool = new ModelRunnerPool({ memoryBudgetBytes: 200 * MB });
    const big = await pool.acquire(fakeSpec('big', { holdBytes: 180 * MB }));
    await big.generate(chatRequest('hi'));
    const [alone] = await pool.status();
    expect(alone!.rssBytes).toBeGreaterThan(200 * MB);
    expect(alone!.key).toBe('big'); // over budget on its own, yet kept: unloading it would help nobody
    await pool.acquire(fakeSpec('small'));
    expect(await keys()).toEqual(['small']);
    await waitUntil(() => !isAlive(alone!.pid!), 'the big runner ends');
  });
});
