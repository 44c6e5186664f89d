/**
 * An OpenAI-compatible server for tests, on 127.0.0.1 and a free port: chat completions (whole and
 * streamed), text completions, transcriptions, translations, speech, image generation and embeddings, with
 * deterministic answers (see `openai-server-answers.ts`). It records every request, so a test can
 * check what a client really sent, and can be told to fail the next request in a chosen way.
 *
 * Streams are written slowly, each event in two writes cut inside a multi-byte character when
 * there is one, so clients meet UTF-8 split across reads as they would over a real network.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MultipartForm, parseMultipart } from './multipart.ts';
import {
  chatAnswer,
  chatCompletionJson,
  chatStreamEvents,
  completionAnswer,
  completionStreamEvents,
  embeddingsAnswer,
  imagesAnswer,
  type JsonBody,
  speechAnswer,
  splitForWrites,
  transcriptionAnswer,
} from './openai-server-answers.ts';

export interface RecordedRequest {
  method: string;
  /** Path without the `/v1` prefix, e.g. `/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json?: JsonBody;
  form?: MultipartForm;
}

export type OpenAiServerFault =
  /** Answer with this status; the body defaults to OpenAI's `{error: {message}}` shape. */
  | { type: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Answer 200 with exactly these bytes. */
  | { type: 'reply'; contentType: string; body: string | Buffer }
  /** 200 with a JSON body cut in the middle. */
  | { type: 'malformed-json' }
  /** Never answer (the client's timeout must fire). */
  | { type: 'stall' }
  /** Close the socket without answering. */
  | { type: 'drop' }
  /** Streams only: send a few events, then … */
  | { type: 'stall-mid-stream' }
  | { type: 'drop-mid-stream' }
  | { type: 'end-mid-stream' }
  | { type: 'malformed-sse' }
  | { type: 'error-event'; message: string };

export interface OpenAiTestServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** When set, other model names get OpenAI's 404 `model_not_found`. */
  models?: string[];
  /** What every transcription says; default `hello world from mmkit`. */
  transcript?: string;
  embeddingDimensions?: number;
}

export interface OpenAiTestServer {
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  requests: RecordedRequest[];
  /** The next request (any endpoint) fails this way; queued faults apply in order. */
  failNext(fault: OpenAiServerFault): void;
  close(): Promise<void>;
}

const delay = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

export async function startOpenAiTestServer(options: OpenAiTestServerOptions = {}): Promise<OpenAiTestServer> {
  const requests: RecordedRequest[] = [];
  const faults: OpenAiServerFault[] = [];
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.socket.setNoDelay(true);
    const body = await readBody(request);
    const path = (request.url ?? '/').replace(/^\/v1/, '').split('?')[0];
    const recorded: RecordedRequest = { method: request.method ?? 'GET', path, headers: request.headers, body };
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.startsWith('application/json')) recorded.json = JSON.parse(body.toString('utf8'));
    if (contentType.startsWith('multipart/form-data')) recorded.form = parseMultipart(body, contentType);
    requests.push(recorded);

    const fault = faults.shift();
    if (fault && applyFault(fault, request, response)) return;
    if (options.apiKey && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      const message = 'Incorrect API key provided.';
      return sendJson(response, 401, { error: { message, type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const model = recorded.json?.model ?? recorded.form?.fields.model?.[0];
    if (options.models && request.method === 'POST' && !options.models.includes(model)) {
      const message = `The model \`${model}\` does not exist or you do not have access to it.`;
      return sendJson(response, 404, { error: { message, type: 'invalid_request_error', code: 'model_not_found' } });
    }
    const json = recorded.json ?? {};
    const route = `${request.method} ${path}`;
    if (route === 'GET /models') {
      return sendJson(response, 200, {
        object: 'list',
        data: (options.models ?? []).map((id) => ({ id, object: 'model' })),
      });
    }
    if (route === 'POST /chat/completions') {
      const answer = chatAnswer(json);
      if (!json.stream) return sendJson(response, 200, chatCompletionJson(json, answer));
      return streamEvents(response, chatStreamEvents(json, answer), fault);
    }
    if (route === 'POST /completions') {
      const answer = completionAnswer(json);
      if (!json.stream) {
        const choice = { index: 0, text: answer.tokens.join(''), finish_reason: answer.finishReason };
        return sendJson(response, 200, { id: 'cmpl-test', object: 'text_completion', choices: [choice] });
      }
      return streamEvents(response, completionStreamEvents(json, answer), fault);
    }
    if (route === 'POST /audio/transcriptions' || route === 'POST /audio/translations') {
      const form = recorded.form ?? { fields: {}, files: {} };
      const answer = transcriptionAnswer(
        form,
        options.transcript ?? 'hello world from mmkit',
        path.endsWith('translations'),
      );
      if (typeof answer === 'string') return sendRaw(response, 200, 'text/plain; charset=utf-8', answer);
      return sendJson(response, 200, answer);
    }
    if (route === 'POST /audio/speech') {
      const { bytes, contentType: type } = speechAnswer(json);
      return sendRaw(response, 200, type, bytes);
    }
    if (route === 'POST /images/generations') return sendJson(response, 200, await imagesAnswer(json));
    if (route === 'POST /embeddings') {
      return sendJson(response, 200, embeddingsAnswer(json, options.embeddingDimensions ?? 4));
    }
    sendJson(response, 404, { error: { message: `Unknown route ${route}`, type: 'invalid_request_error' } });
  }

  /** Faults that replace the whole answer; stream faults are applied while streaming. */
  function applyFault(fault: OpenAiServerFault, request: IncomingMessage, response: ServerResponse): boolean {
    switch (fault.type) {
      case 'status': {
        const body = fault.body ?? { error: { message: `injected ${fault.status}`, type: 'server_error' } };
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const type = typeof body === 'string' ? 'text/plain' : 'application/json';
        response.writeHead(fault.status, { 'content-type': type, ...fault.headers });
        response.end(text);
        return true;
      }
      case 'reply':
        sendRaw(response, 200, fault.contentType, fault.body);
        return true;
      case 'malformed-json':
        sendRaw(response, 200, 'application/json', '{"id": "chatcmpl-test", "choices": [{"mess');
        return true;
      case 'stall':
        return true; // Leave the request hanging; close() ends it.
      case 'drop':
        request.socket.destroy();
        return true;
      default:
        return false;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    failNext: (fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function streamEvents(response: ServerResponse, events: string[], fault?: OpenAiServerFault): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  // After the keep-alive, the role chunk and one token, a stream fault takes over.
  const cut = 3;
  for (const [index, event] of events.entries()) {
    if (index === cut && fault) {
      if (fault.type === 'stall-mid-stream') return; // Headers and some events sent, then silence.
      if (fault.type === 'drop-mid-stream') {
        response.socket?.destroy();
        return;
      }
      if (fault.type === 'end-mid-stream') {
        response.end();
        return;
      }
      if (fault.type === 'malformed-sse') {
        response.end('data: {"choices": [{"delta": {"content": "x"\n\n');
        return;
      }
      if (fault.type === 'error-event') {
        response.end(`data: ${JSON.stringify({ error: { message: fault.message, type: 'server_error' } })}\n\n`);
        return;
      }
    }
    for (const piece of splitForWrites(event)) {
      if (response.destroyed) return;
      response.write(piece);
      await delay(1);
    }
  }
  response.end();
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts)));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  sendRaw(response, status, 'application/json', JSON.stringify(value));
}

function sendRaw(response: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': contentType });
  response.end(body);
}
