import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import type { ChatModel } from '../spec/index.ts';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, isAlive, waitUntil } from './test-support/fake-spec.ts';

describe('ModelRunnerPool: queue, parallelism and cancellation', () => {
  const pool = new ModelRunnerPool({ abortGraceMs: 300 });
  let serial: ChatModel;
  let parallel: ChatModel;
  const row = async (key: string) => (await pool.status()).find((entry) => entry.key === key)!;

  beforeAll(async () => {
    [serial, parallel] = await Promise.all([
      pool.acquire(fakeSpec('serial', {}, { maxQueue: 1 })),
      pool.acquire(fakeSpec('parallel', {}, { parallelism: 2 })),
    ]);
  });
  afterAll(() => pool.shutdown());

  it('runs one request at a time by default, queueing the next, and refuses beyond the queue bound', async () => {
    const finished: string[] = [];
    const first = serial.generate(chatRequest('slow:300')).then((result) => finished.push(result.text));
    const second = serial.generate(chatRequest('second')).then((result) => finished.push(result.text));
    await waitUntil(async () => (await row('serial')).running === 1, 'the first request runs');
    expect(await row('serial')).toMatchObject({ state: 'busy', running: 1, queueLength: 1, expiresInMs: null });
    const refused = await serial.generate(chatRequest('third')).catch((error) => error);
    expect(refused).toBeInstanceOf(MmkitError);
    expect(refused).toMatchObject({ code: 'queue_full', status: 503 });
    expect(refused.message).toBe('serial is busy: 1 requests are already waiting; try again shortly');
    await Promise.all([first, second]);
    expect(finished).toEqual(['echo: slow:300', 'echo: second']);
  });

  it('runs `parallelism` requests at once', async () => {
    const both = Promise.all([parallel.generate(chatRequest('slow:300')), parallel.generate(chatRequest('slow:300'))]);
    await waitUntil(async () => (await row('parallel')).running === 2, 'both requests run');
    expect(await row('parallel')).toMatchObject({ running: 2, queueLength: 0 });
    expect((await both).map((result) => result.text)).toEqual(['echo: slow:300', 'echo: slow:300']);
  });

  it('removes an aborted request from the queue without touching the running one', async () => {
    const running = serial.generate(chatRequest('slow:300'));
    const controller = new AbortController();
    const queued = serial.generate(chatRequest('never runs', controller.signal)).catch((error) => error);
    await waitUntil(async () => (await row('serial')).queueLength === 1, 'the second request waits');
    controller.abort();
    const aborted = await queued;
    expect(aborted.name).toBe('AbortError');
    expect((await row('serial')).queueLength).toBe(0);
    expect((await running).text).toBe('echo: slow:300');
  });

  it('tells the runner to abort a running request; the promise rejects with the signal’s reason', async () => {
    const pid = (await row('serial')).pid;
    const controller = new AbortController();
    const hanging = serial.generate(chatRequest('hang', controller.signal)).catch((error) => error);
    await waitUntil(async () => (await row('serial')).running === 1, 'the request runs');
    controller.abort();
    expect((await hanging).name).toBe('AbortError');
    // The model saw its signal abort and let go: the same runner serves the next call.
    await waitUntil(async () => (await row('serial')).state === 'idle', 'the runner is idle again');
    expect((await row('serial')).pid).toBe(pid);
    expect((await serial.generate(chatRequest('next'))).text).toBe('echo: next');

    const reason = new MmkitError('client went away', { code: 'client_closed' });
    const custom = new AbortController();
    const stream = (async () => {
      for await (const _part of serial.stream(chatRequest('hang', custom.signal))) {
        // nothing arrives before the abort
      }
    })().catch((error) => error);
    await waitUntil(async () => (await row('serial')).running === 1, 'the stream runs');
    custom.abort(reason);
    expect(await stream).toBe(reason);
    expect(await serial.generate(chatRequest('x', AbortSignal.abort())).catch((error) => error.name)).toBe(
      'AbortError',
    );
  });

  it('ends a runner whose model ignores the abort, after the grace period; the next call restarts it', async () => {
    const pid = (await row('serial')).pid!;
    const controller = new AbortController();
    const stuck = serial.generate(chatRequest('ignore-abort', controller.signal)).catch((error) => error);
    await waitUntil(async () => (await row('serial')).running === 1, 'the request runs');
    controller.abort();
    expect((await stuck).name).toBe('AbortError');
    await waitUntil(() => !isAlive(pid), 'the stuck runner is ended');
    expect((await serial.generate(chatRequest('fresh'))).text).toBe('echo: fresh');
    expect((await row('serial')).pid).not.toBe(pid);
  });
});
