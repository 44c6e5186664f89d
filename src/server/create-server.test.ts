import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { fakeProvider } from './test-support/fake-models.ts';
import { startTestServer } from './test-support/test-server.ts';

const chatBody = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], temperature: 0 });

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('createServer', () => {
  it('needs the API key on every route but /health when one is set', async () => {
    const test = await startTestServer({ apiKey: 'sk-test-123' });
    try {
      expect((await fetch(`${test.url}/health`)).status).toBe(200);
      const anonymous = await post(`${test.baseURL}/chat/completions`, chatBody('tiny-llm'));
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({
        error: { code: 'invalid_api_key', type: 'invalid_request_error' },
      });
      const wrong = await post(`${test.baseURL}/chat/completions`, chatBody('tiny-llm'), {
        authorization: 'Bearer sk-nope',
      });
      expect(wrong.status).toBe(401);
      expect((await fetch(`${test.baseURL}/models`)).status).toBe(401);
      const client = new OpenAI({ baseURL: test.baseURL, apiKey: 'sk-test-123', maxRetries: 0 });
      const completion = await client.chat.completions.create({
        model: 'tiny-llm',
        messages: [{ role: 'user', content: 'with key' }],
        temperature: 0,
      });
      expect(completion.choices[0]?.message.content).toBe('with key');
    } finally {
      await test.close();
    }
  });

  it('sends CORS headers only when configured, and answers preflights', async () => {
    const closed = await startTestServer();
    const open = await startTestServer({ cors: { origins: ['http://app.example'] } });
    try {
      const plain = await fetch(`${closed.url}/health`, { headers: { origin: 'http://app.example' } });
      expect(plain.headers.get('access-control-allow-origin')).toBeNull();
      const allowed = await fetch(`${open.url}/health`, { headers: { origin: 'http://app.example' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example');
      const preflight = await fetch(`${open.baseURL}/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    } finally {
      await closed.close();
      await open.close();
    }
  });

  it('answers 429 with Retry-After beyond a model queue, and serves again once it drains', async () => {
    const { provider, probe } = fakeProvider();
    const test = await startTestServer({
      providers: [provider],
      extraModels: { slow: 'fake:slow' },
      limits: { queueLength: 2 },
    });
    try {
      const running = [0, 1, 2].map(() => post(`${test.baseURL}/chat/completions`, chatBody('slow')));
      for (let attempt = 0; attempt < 200 && probe.started < 1; attempt++) await new Promise((r) => setTimeout(r, 10));
      const refused = await post(`${test.baseURL}/chat/completions`, chatBody('slow'));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ error: { code: 'queue_full', param: 'model' } });
      // Other models are not held up by the busy one.
      expect((await post(`${test.baseURL}/chat/completions`, chatBody('tiny-llm'))).status).toBe(200);
      for (let round = 0; round < 3; round++) {
        for (let attempt = 0; attempt < 200 && probe.started < round + 1; attempt++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        probe.releaseAll();
      }
      for (const response of await Promise.all(running)) expect(response.status).toBe(200);
    } finally {
      await test.close();
    }
  });

  it('turns our bugs into a bare 500 with a request id, logged, never with the detail', async () => {
    const { provider } = fakeProvider();
    const test = await startTestServer({ providers: [provider], extraModels: { broken: 'fake:broken' } });
    try {
      const response = await post(`${test.baseURL}/chat/completions`, chatBody('broken'));
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/secret|\/home\/|at .*\.ts/);
      const requestId = response.headers.get('x-request-id');
      expect(JSON.parse(text)).toEqual({
        error: {
          message: `internal server error (request ${requestId})`,
          type: 'server_error',
          param: null,
          code: 'internal_error',
        },
      });
      expect(test.logged.join('\n')).toMatch(/secret internal detail/);
      const stream = await post(`${test.baseURL}/chat/completions`, chatBody('broken').replace('{', '{"stream":true,'));
      expect(stream.status).toBe(500);
      const unknown = await fetch(`${test.url}/no/such/route`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'route_not_found', type: 'not_found_error' } });
    } finally {
      await test.close();
    }
  });

  it('closes gracefully: in-flight work finishes, new requests are refused, then the port is free', async () => {
    const { provider, probe } = fakeProvider();
    const test = await startTestServer({ providers: [provider], extraModels: { slow: 'fake:slow' } });
    const inFlight = post(`${test.baseURL}/chat/completions`, chatBody('slow'));
    for (let attempt = 0; attempt < 200 && probe.started < 1; attempt++) await new Promise((r) => setTimeout(r, 10));
    const closing = test.server.close();
    await new Promise((r) => setTimeout(r, 50));
    // A new request during shutdown: refused at the socket, or a 503 on a reused connection.
    const late = await fetch(`${test.url}/health`).then(
      (answer) => answer.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    probe.releaseAll();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ choices: [{ message: { content: 'done' } }] });
    await closing;
    await expect(fetch(`${test.url}/health`)).rejects.toThrow();
    await test.close();
  });

  it('cancels work still running when the grace period ends', async () => {
    const { provider, probe } = fakeProvider();
    const test = await startTestServer({
      providers: [provider],
      extraModels: { slow: 'fake:slow' },
      limits: { shutdownGraceMs: 100 },
    });
    const stream = await post(`${test.baseURL}/chat/completions`, chatBody('slow').replace('{', '{"stream":true,'));
    expect(stream.status).toBe(200);
    const reading = stream.text().catch(() => 'connection closed');
    await test.close();
    expect(probe.aborted).toBe(1);
    expect(await reading).toMatch(/tick|connection closed/);
  });
});
