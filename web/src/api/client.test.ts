import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, getJson, streamEvents } from './client.ts';

function answerWith(response: Response | Error) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => {
      if (response instanceof Error) throw response;
      return response;
    }),
  );
}

const sse = (text: string) => new Response(text, { headers: { 'content-type': 'text/event-stream' } });

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

afterEach(() => vi.unstubAllGlobals());

describe('streamEvents', () => {
  it('hands over each event parsed and resolves with done', async () => {
    answerWith(
      sse(
        'event: delta\ndata: {"text":"re"}\n\nevent: delta\ndata: {"text":"d"}\n\nevent: done\ndata: {"answer":"red"}\n\n',
      ),
    );
    const seen: [string, unknown][] = [];
    const done = await streamEvents('api/ask', { method: 'POST' }, (type, data) => seen.push([type, data]));
    expect(done).toEqual({ answer: 'red' });
    expect(seen).toEqual([
      ['delta', { text: 're' }],
      ['delta', { text: 'd' }],
      ['done', { answer: 'red' }],
    ]);
  });

  it("turns an error status into the server's one-line message", async () => {
    const body = {
      error: { message: 'question must not be empty', type: 'invalid_request_error', code: 'question_empty' },
    };
    answerWith(new Response(JSON.stringify(body), { status: 400 }));
    const error = await failure(streamEvents('api/ask', { method: 'POST' }, () => undefined));
    expect([error.kind, error.message, error.status, error.code]).toEqual([
      'server',
      'question must not be empty',
      400,
      'question_empty',
    ]);
  });

  it('turns an error event mid-stream into a server error', async () => {
    answerWith(
      sse('event: progress\ndata: {"step":1}\n\nevent: error\ndata: {"error":{"message":"model crashed"}}\n\n'),
    );
    const error = await failure(streamEvents('api/imagine', { method: 'POST' }, () => undefined));
    expect([error.kind, error.message]).toEqual(['server', 'model crashed']);
  });

  it('calls a stream that ends before done a lost connection', async () => {
    answerWith(sse('event: progress\ndata: {"step":1}\n\n'));
    const error = await failure(streamEvents('api/imagine', { method: 'POST' }, () => undefined));
    expect(error.kind).toBe('connection');
  });

  it('calls a failed fetch a lost connection, and an aborted one a cancel', async () => {
    answerWith(new TypeError('fetch failed'));
    expect((await failure(streamEvents('api/ask', {}, () => undefined))).kind).toBe('connection');
    const controller = new AbortController();
    controller.abort();
    expect((await failure(streamEvents('api/ask', { signal: controller.signal }, () => undefined))).kind).toBe(
      'aborted',
    );
  });
});

describe('getJson', () => {
  it("reads the seed's {status, message} error shape too", async () => {
    answerWith(new Response(JSON.stringify({ status: 'error', message: 'bad upload' }), { status: 500 }));
    expect((await failure(getJson('qa'))).message).toBe('bad upload');
  });
});
