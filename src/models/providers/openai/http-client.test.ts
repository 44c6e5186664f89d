import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type OpenAiServerFault,
  type OpenAiTestServer,
  startOpenAiTestServer,
} from '../../../../testkit/openai-server.ts';
import { isMmkitError, type MmkitError } from '../../../errors.ts';
import { OpenAiRateLimitError, parseRetryAfter } from './api-error.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ apiKey: 'sk-test', models: ['llava'] });
});
afterAll(() => server.close());

const request = { maxNewTokens: 50, temperature: 0, topP: 1, messages: [{ role: 'user' as const, content: 'hello' }] };

function chat(settings: { apiKey?: string; timeoutMs?: number; baseURL?: string; model?: string } = {}) {
  return createOpenAiProvider({
    baseURL: settings.baseURL ?? server.baseURL,
    apiKey: 'apiKey' in settings ? settings.apiKey : 'sk-test',
    timeoutMs: settings.timeoutMs ?? 5000,
  }).chatModel(settings.model ?? 'llava');
}

async function failure(promise: Promise<unknown>): Promise<MmkitError> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

async function streamFailure(fault: OpenAiServerFault, timeoutMs = 5000): Promise<{ error: MmkitError; text: string }> {
  server.failNext(fault);
  let text = '';
  const error = await failure(
    (async () => {
      for await (const part of chat({ timeoutMs }).stream(request)) if (part.type === 'text-delta') text += part.text;
    })(),
  );
  return { error, text };
}

describe('errors from an OpenAI-compatible server', () => {
  const url = () => `${server.baseURL}/chat/completions`;

  it('connection refused names the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(chat({ baseURL: `http://127.0.0.1:${port}/v1` }).generate(request));
    expect(error.message).toBe(
      `cannot connect to http://127.0.0.1:${port}/v1: connection refused; is the server running?`,
    );
    expect(error.code).toBe('provider_unreachable');
  });

  it('401 says to set the API key and relays the server message', async () => {
    const error = await failure(chat({ apiKey: undefined }).generate(request));
    expect(error.message).toBe(
      `${url()}: 401 unauthorized: Incorrect API key provided; set the API key (apiKey) for model 'llava'`,
    );
    expect(error.code).toBe('provider_unauthorized');
  });

  it('404 says the model was not found', async () => {
    const error = await failure(chat({ model: 'no-such-model' }).generate(request));
    expect(error.message).toContain(
      `${url()}: 404 model 'no-such-model' not found: The model \`no-such-model\` does not exist`,
    );
    expect(error.code).toBe('model_not_found');
    expect(error.status).toBe(404);
  });

  it('429 carries Retry-After in the message and on the error', async () => {
    server.failNext({
      type: 'status',
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'Rate limit reached for requests', type: 'requests' } },
    });
    const error = await failure(chat().generate(request));
    expect(error.message).toBe(`${url()}: 429 rate limited: Rate limit reached for requests; retry after 7 s`);
    expect(error).toBeInstanceOf(OpenAiRateLimitError);
    expect((error as OpenAiRateLimitError).retryAfterSeconds).toBe(7);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30);
  });

  it('5xx relays the OpenAI-shaped message, other shapes too, never an HTML page', async () => {
    server.failNext({ type: 'status', status: 500, body: { error: { message: 'CUDA out of memory' } } });
    expect((await failure(chat().generate(request))).message).toBe(`${url()}: server error 500: CUDA out of memory`);
    server.failNext({ type: 'status', status: 503, body: { error: 'model is loading' } }); // Ollama's shape.
    expect((await failure(chat().generate(request))).message).toBe(`${url()}: server error 503: model is loading`);
    server.failNext({ type: 'status', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' });
    const gateway = await failure(chat().generate(request));
    expect(gateway.message).toBe(`${url()}: server error 502 Bad Gateway`);
    expect(gateway.code).toBe('provider_server_error');
    server.failNext({ type: 'status', status: 400, body: { detail: 'max_tokens is too large' } }); // FastAPI's shape.
    const rejected = await failure(chat().generate(request));
    expect(rejected.message).toBe(`${url()}: request rejected with 400: max_tokens is too large`);
  });

  it('malformed JSON is reported, not thrown raw', async () => {
    server.failNext({ type: 'malformed-json' });
    const error = await failure(chat().generate(request));
    expect(error.message).toContain(
      `${url()}: malformed JSON in the response (starts with "{\\"id\\": \\"chatcmpl-test\\",`,
    );
    expect(error.code).toBe('provider_bad_response');
    server.failNext({ type: 'reply', contentType: 'application/json', body: '{"choices": []}' });
    expect((await failure(chat().generate(request))).message).toContain('unexpected response shape at choices');
  });

  it('a stalled server times out', async () => {
    server.failNext({ type: 'stall' });
    const error = await failure(chat({ timeoutMs: 300 }).generate(request));
    expect(error.message).toBe(`${url()}: timed out, no data from the server for 0.3 s (timeoutMs)`);
    expect(error.code).toBe('provider_timeout');
  });

  it('the AbortSignal cancels a request still waiting for its answer', async () => {
    server.failNext({ type: 'stall' });
    const controller = new AbortController();
    const pending = chat().generate({ ...request, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a dropped connection is reported', async () => {
    server.failNext({ type: 'drop' });
    const error = await failure(chat().generate(request));
    expect(error.message).toBe(`${url()}: the server closed the connection before the response was complete`);
  });
});

describe('errors in the middle of a stream', () => {
  const url = () => `${server.baseURL}/chat/completions`;

  it('a dropped connection mid-stream fails after the first tokens', async () => {
    const { error, text } = await streamFailure({ type: 'drop-mid-stream' });
    expect(text).toBe('h');
    expect(error.message).toBe(`${url()}: the server closed the connection before the response was complete`);
    expect(error.code).toBe('provider_connection_lost');
  });

  it('a stream that ends without finishing is an error, not a short answer', async () => {
    const { error } = await streamFailure({ type: 'end-mid-stream' });
    expect(error.message).toBe(`${url()}: the stream ended before the answer was complete`);
  });

  it('a stall mid-stream times out', async () => {
    const { error, text } = await streamFailure({ type: 'stall-mid-stream' }, 300);
    expect(text).toBe('h');
    expect(error.code).toBe('provider_timeout');
  });

  it('malformed SSE data is reported', async () => {
    const { error } = await streamFailure({ type: 'malformed-sse' });
    expect(error.message).toBe(
      `${url()}: malformed event in the stream ("{\\"choices\\": [{\\"delta\\": {\\"content\\": \\"x\\"")`,
    );
  });

  it("an error event relays the server's message", async () => {
    const { error } = await streamFailure({ type: 'error-event', message: 'KV cache exhausted' });
    expect(error.message).toBe(`${url()}: the server failed mid-stream: KV cache exhausted`);
  });
});
