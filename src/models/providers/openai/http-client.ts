/**
 * The HTTP layer every OpenAI-compatible model class shares: Node's `fetch`, an inactivity timeout
 * (reset whenever bytes arrive, so a long stream is fine but a stalled one is not), the caller's
 * AbortSignal, and network failures turned into one-line `MmkitError`s.
 */
import { describeError, MmkitError } from '../../../errors.ts';
import { version } from '../../../version.ts';
import { errorFromStatus } from './api-error.ts';

export interface OpenAiConnection {
  /** Without a trailing slash, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
  /** The longest wait for the server's next bytes (headers or body), in milliseconds. */
  timeoutMs: number;
}

export interface RequestContext {
  /** The model name sent upstream, for error messages. */
  model: string;
  signal?: AbortSignal;
}

export type RequestBody = { json: unknown } | { form: FormData };

/** The caller cancelled: reject the way the web platform does, with an `AbortError`. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** An AbortController that fires when nothing has happened for `timeoutMs`. */
class IdleWatchdog {
  readonly controller = new AbortController();
  fired = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly timeoutMs: number) {
    this.touch();
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new DOMException('inactivity timeout', 'TimeoutError'));
    }, this.timeoutMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** A started request whose body has not been read yet. */
class OpenedResponse {
  constructor(
    readonly response: Response,
    readonly url: string,
    private readonly watchdog: IdleWatchdog,
    private readonly explain: (error: unknown) => Error,
  ) {}

  /** The body's chunks as they arrive; breaking out early cancels the request. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    const body = this.response.body;
    if (!body) return;
    const reader = body.getReader();
    let finished = false;
    try {
      while (true) {
        let result: Awaited<ReturnType<typeof reader.read>>;
        try {
          result = await reader.read();
        } catch (error) {
          finished = true;
          throw this.explain(error);
        }
        if (result.done) {
          finished = true;
          return;
        }
        this.watchdog.touch();
        yield result.value;
      }
    } finally {
      this.watchdog.stop();
      if (!finished) await reader.cancel().catch(() => undefined);
    }
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async json(): Promise<unknown> {
    const text = Buffer.from(await this.bytes()).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      const start = text.trim().slice(0, 40);
      throw new MmkitError(`${this.url}: malformed JSON in the response (starts with ${JSON.stringify(start)})`, {
        code: 'provider_bad_response',
        type: 'runtime_error',
        status: 502,
      });
    }
  }
}

/** POSTs to `{baseURL}{path}`; resolves once a 2xx status arrives, rejects with an `MmkitError` otherwise. */
export async function openPost(
  connection: OpenAiConnection,
  path: string,
  body: RequestBody,
  context: RequestContext,
): Promise<OpenedResponse> {
  const url = `${connection.baseURL}${path}`;
  const userSignal = context.signal;
  if (userSignal?.aborted) throw abortError(userSignal);
  const watchdog = new IdleWatchdog(connection.timeoutMs);
  const signal = userSignal ? AbortSignal.any([userSignal, watchdog.controller.signal]) : watchdog.controller.signal;
  const explain = (error: unknown): Error => {
    watchdog.stop();
    if (userSignal?.aborted) return abortError(userSignal);
    if (watchdog.fired) return timeoutError(url, connection.timeoutMs);
    return networkError(error, url, connection.baseURL);
  };
  const headers: Record<string, string> = { 'user-agent': `mmkit/${version}`, ...connection.headers };
  if (connection.apiKey) headers.authorization = `Bearer ${connection.apiKey}`;
  let requestBody: string | FormData;
  if ('json' in body) {
    headers['content-type'] = 'application/json';
    requestBody = JSON.stringify(body.json);
  } else {
    requestBody = body.form; // fetch sets the multipart boundary itself.
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: requestBody, signal });
  } catch (error) {
    throw explain(error);
  }
  watchdog.touch();
  const opened = new OpenedResponse(response, url, watchdog, explain);
  if (!response.ok) {
    const bodyText = Buffer.from(await opened.bytes()).toString('utf8');
    throw errorFromStatus({
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      bodyText,
      url,
      model: context.model,
    });
  }
  return opened;
}

export async function postJson(
  connection: OpenAiConnection,
  path: string,
  body: RequestBody,
  context: RequestContext,
): Promise<{ value: unknown; url: string }> {
  const opened = await openPost(connection, path, body, context);
  return { value: await opened.json(), url: opened.url };
}

export async function postForBytes(
  connection: OpenAiConnection,
  path: string,
  body: RequestBody,
  context: RequestContext,
): Promise<{ bytes: Uint8Array; contentType: string; url: string }> {
  const opened = await openPost(connection, path, body, context);
  const contentType = opened.response.headers.get('content-type') ?? '';
  return { bytes: await opened.bytes(), contentType, url: opened.url };
}

function timeoutError(url: string, timeoutMs: number): MmkitError {
  return new MmkitError(`${url}: timed out, no data from the server for ${timeoutMs / 1000} s (timeoutMs)`, {
    code: 'provider_timeout',
    type: 'runtime_error',
    status: 504,
  });
}

function networkError(error: unknown, url: string, baseURL: string): Error {
  if (error instanceof MmkitError) return error;
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') {
    return new MmkitError(`cannot connect to ${baseURL}: connection refused; is the server running?`, {
      code: 'provider_unreachable',
      type: 'runtime_error',
      status: 503,
      cause: error,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new MmkitError(`cannot connect to ${baseURL}: host not found`, {
      code: 'provider_unreachable',
      type: 'runtime_error',
      status: 503,
      cause: error,
    });
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || describeError(error) === 'terminated') {
    return new MmkitError(`${url}: the server closed the connection before the response was complete`, {
      code: 'provider_connection_lost',
      type: 'runtime_error',
      status: 502,
      cause: error,
    });
  }
  return new MmkitError(`${url}: request failed (${describeError(deepestCause(error))})`, {
    code: 'provider_unreachable',
    type: 'runtime_error',
    status: 503,
    cause: error,
  });
}

/** undici wraps socket errors: `TypeError('fetch failed', {cause: {code: 'ECONNREFUSED'}})`. */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function deepestCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | undefined)?.cause;
    if (!cause) break;
    current = cause;
  }
  return current;
}
