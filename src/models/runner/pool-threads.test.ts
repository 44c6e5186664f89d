import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { MmkitError } from '../../errors.ts';
import type { ChatModel, EmbeddingModel } from '../spec/index.ts';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, waitUntil } from './test-support/fake-spec.ts';

const MB = 1024 * 1024;

/** `pid/threadId` of the runner that answered. */
async function runnerOf(chat: ChatModel): Promise<string> {
  return (await chat.generate(chatRequest('runner'))).text;
}

describe('ModelRunnerPool with runners in worker threads', () => {
  const pool = new ModelRunnerPool({ maxLoadedModels: 4, isolation: 'thread' });
  afterAll(() => pool.shutdown());

  it('runs calls in a worker thread of this process, streams, and carries typed arrays', async () => {
    const chat = await pool.acquire(fakeSpec('chat'));
    expect((await chat.generate(chatRequest('hello thread'))).text).toBe('echo: hello thread');
    const [pid, runnerThread] = (await runnerOf(chat)).split('/').map(Number);
    expect(pid).toBe(process.pid);
    expect(runnerThread).not.toBe(threadId);
    const deltas: string[] = [];
    for await (const part of chat.stream(chatRequest('one two')))
      if (part.type === 'text-delta') deltas.push(part.text);
    expect(deltas).toEqual(['echo: ', 'one ', 'two']);
    const embeddings: EmbeddingModel = await pool.acquire(fakeSpec('embeddings', {}, { capability: 'embeddings' }));
    const { embeddings: vectors } = await embeddings.embedTexts(['ab', 'abcd']);
    expect(vectors.map((vector) => vector instanceof Float32Array)).toEqual([true, true]);
    expect((await pool.status()).map((row) => row.pid)).toEqual([process.pid, process.pid]);
  });

  it('an aborted call stops in the thread, which then serves the next call', async () => {
    const chat = await pool.acquire(fakeSpec('chat'));
    const controller = new AbortController();
    const hanging = chat.generate(chatRequest('hang', controller.signal)).catch((error: unknown) => error);
    await waitUntil(
      async () => (await pool.status()).some((row) => row.key === 'chat' && row.state === 'busy'),
      'it runs',
    );
    controller.abort();
    expect(await hanging).toMatchObject({ name: 'AbortError' });
    await waitUntil(async () => (await pool.status()).find((row) => row.key === 'chat')?.state === 'idle', 'it ends');
    expect((await chat.generate(chatRequest('after'))).text).toBe('echo: after');
  });

  it('refuses arguments that cannot be cloned, with a one-line error', async () => {
    const embeddings: EmbeddingModel = await pool.acquire(fakeSpec('embeddings', {}, { capability: 'embeddings' }));
    const failure = (await embeddings
      .embedTexts([(() => 'x') as unknown as string])
      .catch((error: unknown) => error)) as MmkitError;
    expect(failure).toMatchObject({ code: 'runner_unserializable' });
    expect(failure.message).not.toContain('\n');
  });

  it('a process.exit in the thread fails only its request; the queued one runs in a new thread', async () => {
    const [crashing, bystander] = await Promise.all([
      pool.acquire(fakeSpec('crashing')),
      pool.acquire(fakeSpec('bystander')),
    ]);
    const first = await runnerOf(crashing);
    const crashed = crashing.generate(chatRequest('crash')).catch((error: unknown) => error);
    const queued = runnerOf(crashing);
    expect(await crashed).toMatchObject({
      code: 'runner_crashed',
      message:
        'the runner for crashing stopped unexpectedly during generate(): it exited with code 3; the next request starts it again',
    });
    expect(await queued).not.toBe(first);
    expect((await bystander.generate(chatRequest('unharmed'))).text).toBe('echo: unharmed');
  });

  it('an uncaught exception ends the thread, reported with its error line', async () => {
    const crashing = await pool.acquire(fakeSpec('crashing'));
    const failure = (await crashing.generate(chatRequest('throw')).catch((error: unknown) => error)) as MmkitError;
    expect(failure.code).toBe('runner_crashed');
    expect(failure.message).toMatch(/it exited with code 1 \(RangeError: fake model blew up\)/);
    expect((await crashing.generate(chatRequest('again'))).text).toBe('echo: again');
  });

  it('a thread out of JavaScript heap says so, and this process carries on', async () => {
    const small = await pool.acquire(fakeSpec('small-heap', {}, { execArgv: ['--max-old-space-size=64'] }));
    const failure = (await small.generate(chatRequest('exhaust-heap')).catch((error: unknown) => error)) as MmkitError;
    expect(failure).toMatchObject({ code: 'runner_crashed' });
    expect(failure.message).toMatch(/during generate\(\): it ran out of memory; the next request starts it again$/);
    expect((await small.generate(chatRequest('still here'))).text).toBe('echo: still here');
  });

  it('unloading a thread returns the memory its model held, and status counts that memory', async () => {
    const chat = await pool.acquire(fakeSpec('holder', { holdBytes: 192 * MB }));
    const loadedRss = process.memoryUsage.rss();
    const row = (await pool.status()).find((entry) => entry.key === 'holder');
    expect(row?.rssBytes).toBeGreaterThanOrEqual(192 * MB);
    await pool.unload('holder');
    await waitUntil(() => process.memoryUsage.rss() < loadedRss - 128 * MB, 'the thread’s memory is returned');
    expect((await chat.generate(chatRequest('back'))).text).toBe('echo: back');
    await pool.unload('holder');
  });

  it('an idle thread does not keep a finished program alive', async () => {
    const script = fileURLToPath(new URL('./test-support/forgetful-parent.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const program = spawn(process.execPath, ['--import', tsx, script, 'thread'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    program.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk;
    });
    try {
      await waitUntil(() => program.exitCode !== null, 'the program exits by itself');
      expect(program.exitCode).toBe(0);
      expect(Number(printed.trim())).toBe(program.pid);
    } finally {
      program.kill('SIGKILL');
    }
  });
});
