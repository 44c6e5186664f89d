import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSpec, isAlive, waitUntil } from '../models/runner/test-support/fake-spec.ts';
import type { RunnerSpecBuilder } from './model-hosts/runner-host.ts';
import { dataUrl, solidImage, startTestServer, type TestServer } from './test-support/test-server.ts';

/** Fake models (`fake:*`, which crash on request) from the runner test factory; the rest from the registry. */
const specFor: RunnerSpecBuilder = (model) => (model.id.startsWith('fake:') ? fakeSpec(model.key) : undefined);

interface ChatAnswer {
  choices: { message: { content: string } }[];
  error: { code: string; type: string; message: string };
}

async function chat(test: TestServer, model: string, text: string) {
  const response = await fetch(`${test.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: text }], temperature: 0 }),
  });
  return { status: response.status, body: (await response.json()) as ChatAnswer };
}

describe('the server on runner processes', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({
      extraModels: { crashy: 'fake:crashy' },
      runners: { keepAliveMs: 400, maxLoadedModels: 2, specFor },
    });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('fails only the request a runner crash took down; the queued one and the next get a fresh runner', async () => {
    const first = await chat(test, 'crashy', 'pid');
    const firstPid = Number(first.body.choices[0].message.content);
    expect(isAlive(firstPid)).toBe(true);
    // One request runs at a time per model: the second waits while the first brings its runner down.
    const crashing = chat(test, 'crashy', 'crash');
    const queued = chat(test, 'crashy', 'waiting behind it');
    const crashed = await crashing;
    expect(crashed.status).toBe(500);
    expect(crashed.body.error).toMatchObject({ code: 'runner_crashed', type: 'runtime_error' });
    expect(crashed.body.error.message).toMatch(/stopped unexpectedly during generate\(\): it exited with code 3/);
    const waited = await queued;
    expect(waited.status).toBe(200);
    expect(waited.body.choices[0].message.content).toBe('echo: waiting behind it');
    expect(isAlive(firstPid)).toBe(false);
    const next = await chat(test, 'crashy', 'pid');
    const [row] = (await test.server.models.status()).filter((entry) => entry.key === 'chat:fake:crashy');
    expect(next.body.choices[0].message.content).toBe(String(row?.pid));
    expect(row?.pid).not.toBe(firstPid);
    expect(test.logged.some((line) => line.includes('runner_crashed') || line.includes('stopped unexpectedly'))).toBe(
      true,
    );
  });

  it('streams chat, reads image parts and batches embeddings through runners, each model in its own process', async () => {
    const client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: '你好, runner' }],
      temperature: 0,
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe('你好, runner');
    const red = await solidImage({ r: 230, g: 10, b: 10 });
    const answer = await client.chat.completions.create({
      model: 'tiny-llava',
      temperature: 0,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What colour is this?' },
            { type: 'image_url', image_url: { url: dataUrl(red) } },
          ],
        },
      ],
    });
    expect(answer.choices[0]?.message.content).toBe('red');
    const rows = await test.server.models.status();
    expect(rows.length).toBeLessThanOrEqual(2);
    const llava = rows.find((row) => row.key.endsWith('/llava'));
    expect(llava).toMatchObject({ capability: 'chat', state: 'idle', running: 0, queueLength: 0 });
    expect(llava?.pid).not.toBe(process.pid);
    expect(isAlive(llava!.pid!)).toBe(true);
    expect(llava!.rssBytes).toBeGreaterThan(20 * 1024 * 1024);
    const embeddings = await Promise.all(
      ['red', 'a red apple', 'green'].map((input) => client.embeddings.create({ model: 'tiny-clip', input })),
    );
    const [red1, red2, green] = embeddings.map((result) => result.data[0]!.embedding);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
    expect(cosine(red1!, red2!)).toBeGreaterThan(cosine(red1!, green!));
  });

  it('unloads a model after its keep-alive: the runner process is gone and ps no longer lists it', async () => {
    const answered = await chat(test, 'tiny-llm', 'keep me briefly');
    expect(answered.body.choices[0].message.content).toBe('keep me briefly');
    const row = (await test.server.models.status()).find((entry) => entry.key.endsWith('/llm'));
    expect(row).toMatchObject({ state: 'idle' });
    expect(row?.expiresInMs).toBeLessThanOrEqual(400);
    await waitUntil(() => !isAlive(row!.pid!), 'the idle runner ends');
    await waitUntil(
      async () => !(await test.server.models.status()).some((entry) => entry.key.endsWith('/llm')),
      'ps drops the unloaded model',
    );
  });
});

describe('embedding models cheaper than the hop to a runner', () => {
  const embedded = async (test: TestServer) => {
    const client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    const answers = await Promise.all(
      ['red', 'a red apple', 'green'].map((input) => client.embeddings.create({ model: 'tiny-clip', input })),
    );
    const [red1, red2, green] = answers.map((answer) => answer.data[0]!.embedding);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
    expect(cosine(red1!, red2!)).toBeGreaterThan(cosine(red1!, green!));
    return red1!;
  };
  const embeddingRows = async (test: TestServer) =>
    (await test.server.models.status()).filter((row) => row.capability === 'embeddings');

  it("move into the server's thread after one timed call, their runner ends, and the vectors stay the same", async () => {
    const stayed = await startTestServer({ runners: { cheapCallMs: 0 } });
    const moved = await startTestServer({ runners: { keepAliveMs: 60_000 } });
    try {
      const inRunner = await embedded(stayed);
      const [runnerRow] = await embeddingRows(stayed);
      expect(runnerRow?.pid).not.toBe(process.pid);
      expect(isAlive(runnerRow!.pid!)).toBe(true);

      expect(await embedded(moved)).toEqual(inRunner);
      await waitUntil(async () => {
        const rows = await embeddingRows(moved);
        return rows.length === 1 && rows[0]!.pid === process.pid;
      }, "only the server's own copy is listed");
      const [row] = await embeddingRows(moved);
      expect(row).toMatchObject({ state: 'idle', running: 0 });
      expect(row!.expiresInMs).toBeGreaterThan(50_000);
      expect(await embedded(moved)).toEqual(inRunner);
    } finally {
      await Promise.all([stayed.close(), moved.close()]);
    }
  });
});

describe('the server on runner threads (--runners threads)', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({ runners: { keepAliveMs: 400, maxLoadedModels: 2, isolation: 'thread' } });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('batches embeddings and streams chat through models in worker threads of the server, unloading them after keep-alive', async () => {
    const client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    const embeddings = await Promise.all(
      ['red', 'a red apple', 'green'].map((input) => client.embeddings.create({ model: 'tiny-clip', input })),
    );
    const [red1, red2, green] = embeddings.map((result) => result.data[0]!.embedding);
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
    expect(cosine(red1!, red2!)).toBeGreaterThan(cosine(red1!, green!));
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'threads echo' }],
      temperature: 0,
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe('threads echo');
    const rows = await test.server.models.status();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.pid === process.pid)).toBe(true);
    await waitUntil(async () => (await test.server.models.status()).length === 0, 'keep-alive unloads both threads');
    expect((await client.embeddings.create({ model: 'tiny-clip', input: 'red' })).data[0]!.embedding).toEqual(red1);
  });
});
