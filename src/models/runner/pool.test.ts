import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import type { ChatModel, ChatStreamPart } from '../spec/index.ts';
import { ModelRunnerPool } from './pool.ts';
import { chatRequest, fakeSpec, isAlive, waitUntil } from './test-support/fake-spec.ts';

describe('ModelRunnerPool: calls through a runner process', () => {
  const pool = new ModelRunnerPool({ maxLoadedModels: 4 });
  let chat: ChatModel;

  beforeAll(async () => {
    chat = await pool.acquire(fakeSpec('chat', { partDelayMs: 30 }));
  });
  afterAll(() => pool.shutdown());

  it('hands out a chat model whose generate runs in another process', async () => {
    expect(chat.description).toEqual({ id: 'fake:chat', provider: 'fake' });
    expect([chat.acceptsImages, chat.contextLength]).toEqual([true, 512]);
    const result = await chat.generate(chatRequest('hello runner'));
    expect(result).toMatchObject({ text: 'echo: hello runner', finishReason: 'stop', usage: { promptTokens: 12 } });
    const runnerPid = Number((await chat.generate(chatRequest('pid'))).text);
    expect(runnerPid).not.toBe(process.pid);
    expect(isAlive(runnerPid)).toBe(true);
    expect(await pool.acquire(fakeSpec('chat'))).toBe(chat);
  });

  it('passes image bytes in chat messages', async () => {
    const request = chatRequest('');
    request.messages = [
      {
        role: 'user',
        content: [
          { type: 'image', data: new Uint8Array(300) },
          { type: 'text', text: '?' },
        ],
      },
    ];
    expect((await chat.generate(request)).text).toBe('echo: [image 300 bytes]?');
  });

  it('streams parts as they arrive: the runner is still busy when the first part is read', async () => {
    const parts: ChatStreamPart[] = [];
    let busyAtFirstPart: string | undefined;
    for await (const part of chat.stream(chatRequest('one two three four'))) {
      if (parts.length === 0) busyAtFirstPart = (await pool.status())[0]?.state;
      parts.push(part);
    }
    expect(busyAtFirstPart).toBe('busy');
    const deltas = parts.filter((part) => part.type === 'text-delta').map((part) => part.text);
    expect(deltas).toEqual(['echo: ', 'one ', 'two ', 'three ', 'four']);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('leaving a stream early aborts it in the runner, which then serves the next call', async () => {
    for await (const part of chat.stream(chatRequest('a b c d e f g h i j k l m n o p'))) {
      expect(part).toEqual({ type: 'text-delta', text: 'echo: ' });
      break;
    }
    await waitUntil(async () => (await pool.status())[0]?.state === 'idle', 'the aborted stream ends');
    expect((await chat.generate(chatRequest('after'))).text).toBe('echo: after');
  });

  it('keeps an MmkitError thrown by the model as is, and the runner alive', async () => {
    const failure = await chat.generate(chatRequest('fail')).catch((error) => error);
    expect(failure).toBeInstanceOf(MmkitError);
    expect(failure).toMatchObject({
      message: 'the fake model refuses this prompt',
      code: 'fake_refusal',
      param: 'messages',
    });
    expect((await chat.generate(chatRequest('still here'))).text).toBe('echo: still here');
  });

  it('refuses arguments that cannot cross the process boundary, with a one-line error', async () => {
    const request = { ...chatRequest('x'), extra: { callback: () => 1 } } as never;
    const failure = await chat.generate(request).catch((error) => error);
    expect(failure).toBeInstanceOf(MmkitError);
    expect(failure.code).toBe('runner_unserializable');
    expect(failure.message).toMatch(/^the arguments of generate\(\) cannot be sent to the runner for chat: /);
    expect((await chat.generate(chatRequest('fine'))).text).toBe('echo: fine');
  });

  it('relays progress callbacks and returns pixels as a Uint8Array', async () => {
    const images = await pool.acquire(fakeSpec('images', {}, { capability: 'image-generation' }));
    const progress: number[] = [];
    const result = await images.generate({
      prompt: 'a red cube',
      width: 4,
      height: 2,
      steps: 3,
      guidanceScale: 1,
      count: 2,
      seed: 40,
      onProgress: ({ step, totalSteps }) => progress.push(step / totalSteps),
    });
    expect(progress).toEqual([1 / 3, 2 / 3, 1]);
    expect(result.scheduler).toBe('FakeScheduler');
    expect(result.images[1]!.pixels).toBeInstanceOf(Uint8Array);
    expect(result.images.map((image) => [image.seed, image.pixels.length, image.pixels[0]])).toEqual([
      [40, 24, 40],
      [41, 24, 41],
    ]);
  });

  it('passes Float32Array and Uint8Array arguments as typed arrays and returns typed arrays', async () => {
    const ctc = await pool.acquire(fakeSpec('ctc', {}, { capability: 'ctc' }));
    expect([ctc.vocabulary, ctc.blankId]).toEqual([['<pad>', 'a', 'b', '|'], 0]);
    const emissions = await ctc.emissions(new Float32Array([0.5, -1, 2]), 16000);
    expect(emissions.logProbabilities).toBeInstanceOf(Float32Array);
    expect([...emissions.logProbabilities]).toEqual([1, -2, 4]);
    expect(emissions.classes).toBe(1); // the runner saw a Float32Array, not a plain object
    const embedding = await pool.acquire(fakeSpec('embedding', {}, { capability: 'embedding' }));
    expect(embedding.dimensions).toBe(2);
    const { embeddings } = await embedding.embedImages!([new Uint8Array([1, 2, 3]), new Uint8Array([250, 5])]);
    expect(embeddings.map((vector) => [...vector])).toEqual([
      [6, 1],
      [255, 1],
    ]);
    expect((await embedding.embedTexts(['abcd'])).embeddings[0]).toEqual(new Float32Array([4, 1]));
  });

  it('status lists each loaded model with its pid, memory, state and timers', async () => {
    const rows = await pool.status();
    expect(rows.map((row) => row.key)).toEqual(['chat', 'ctc', 'embedding', 'images']);
    const chatRow = rows[0]!;
    expect(chatRow).toMatchObject({ capability: 'chat', state: 'idle', running: 0, queueLength: 0 });
    expect(isAlive(chatRow.pid!)).toBe(true);
    expect(chatRow.rssBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(chatRow.expiresInMs).toBeGreaterThan(60_000);
    expect(chatRow.expiresInMs).toBeLessThanOrEqual(5 * 60 * 1000);
    expect(chatRow.idleMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(chatRow.loadedAt!)).toBeLessThanOrEqual(Date.now());
    expect(new Set(rows.map((row) => row.pid)).size).toBe(4);
  });

  it('unload ends the runner; the next call loads the model again in a new process', async () => {
    const before = (await pool.status()).find((row) => row.key === 'chat')!.pid!;
    expect(await pool.unload('chat')).toBe(true);
    expect(isAlive(before)).toBe(false);
    expect((await pool.status()).map((row) => row.key)).not.toContain('chat');
    const after = Number((await chat.generate(chatRequest('pid'))).text);
    expect(after).not.toBe(before);
    expect(await pool.unload('nothing-loaded')).toBe(false);
  });
});

describe('ModelRunnerPool: load errors', () => {
  const pool = new ModelRunnerPool();
  afterAll(() => pool.shutdown());

  it('surfaces the factory’s MmkitError with its code and param', async () => {
    const failure = await pool.acquire(fakeSpec('broken', { failLoad: 'mmkit' })).catch((error) => error);
    expect(failure).toBeInstanceOf(MmkitError);
    expect(failure).toMatchObject({
      message: 'model folder /models/broken has no onnx/ weights',
      code: 'model_files_missing',
      param: 'model',
      status: 404,
    });
    expect(await pool.status()).toEqual([]);
  });

  it('wraps other load failures, a runner that exits while loading, and a bad factory module', async () => {
    const thrown = await pool.acquire(fakeSpec('thrown', { failLoad: 'error' })).catch((error) => error);
    expect(thrown).toMatchObject({
      code: 'model_load_failed',
      message: 'cannot load thrown: weights are not a tensor',
    });
    const exited = await pool.acquire(fakeSpec('exits', { failLoad: 'exit' })).catch((error) => error);
    expect(exited).toMatchObject({ code: 'runner_crashed' });
    expect(exited.message).toMatch(/^the runner for exits stopped unexpectedly during loading: it exited with code 7/);
    const missing = await pool
      .acquire({ key: 'nowhere', capability: 'chat', factoryModule: '/nonexistent/factory.js' })
      .catch((error) => error);
    expect(missing).toMatchObject({ code: 'runner_factory_unavailable', param: 'factoryModule' });
    expect(missing.message).toMatch(/^cannot load the factory module \/nonexistent\/factory.js for nowhere: /);
  });

  it('rejects a factory that builds another capability, and a key reused for another capability', async () => {
    const wrong = await pool.acquire(fakeSpec('wrong', {}, { capability: 'speech' })).catch((error) => error);
    expect(wrong).toMatchObject({ code: 'runner_factory_invalid', message: expect.stringContaining('synthesize()') });
    const reused = await pool.acquire(fakeSpec('wrong', {}, { capability: 'chat' })).catch((error) => error);
    expect(reused).toMatchObject({ code: 'invalid_runner_spec', param: 'key' });
    expect(() => new ModelRunnerPool({ maxLoadedModels: 0 })).toThrow(/maxLoadedModels must be a positive integer/);
  });
});
