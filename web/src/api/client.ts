/**
 * Calls to the `/api/*` routes (docs/http-api.md). Every failure becomes an `ApiError` whose kind
 * tells the page what to say: the server's own one-line message, a lost connection, or a cancel.
 */
import { readSseEvents } from './sse.ts';

export type ApiErrorKind = 'server' | 'connection' | 'aborted';

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;

  constructor(kind: ApiErrorKind, message: string, options: { status?: number; code?: string } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = options.status;
    this.code = options.code;
  }
}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown };
  message?: unknown;
}

/** The one-line message of an error body (`{error: {message}}`, or the seed's `{message}`). */
export function errorMessageOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { error, message } = body as ErrorBody;
  if (error && typeof error.message === 'string') return error.message;
  if (typeof message === 'string') return message;
  return undefined;
}

function toApiError(error: unknown, signal: AbortSignal | undefined): ApiError {
  if (error instanceof ApiError) return error;
  if (signal?.aborted) return new ApiError('aborted', 'cancelled');
  // fetch rejects with a TypeError when the connection fails or drops mid-body.
  return new ApiError('connection', error instanceof Error ? error.message : String(error));
}

async function failedResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = parsed as ErrorBody | undefined;
  const code = typeof body?.error?.code === 'string' ? body.error.code : undefined;
  const message = errorMessageOf(parsed) ?? `${response.status} ${response.statusText}`.trim();
  return new ApiError('server', message, { status: response.status, code });
}

export async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  try {
    const response = await fetch(url, init);
    if (!response.ok) throw await failedResponse(response);
    return (await response.json()) as T;
  } catch (error) {
    throw toApiError(error, init.signal ?? undefined);
  }
}

export type EventHandler = (type: string, data: unknown) => void;

/**
 * POSTs and hands each event (`data` parsed as JSON) to `onEvent`. Resolves with the `done`
 * event's data; an `error` event, an error status, or a stream that ends before `done` rejects.
 */
export async function streamEvents(url: string, init: RequestInit, onEvent: EventHandler): Promise<unknown> {
  const signal = init.signal ?? undefined;
  try {
    const response = await fetch(url, { ...init, headers: { accept: 'text/event-stream', ...init.headers } });
    if (!response.ok) throw await failedResponse(response);
    if (!response.body) throw new ApiError('connection', 'empty response');
    for await (const event of readSseEvents(response.body)) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        continue;
      }
      // The contract's `error` event; a bare `{error: {...}}` payload (the /v1 routes' style) too.
      const carriesError = !!data && typeof data === 'object' && 'error' in data;
      if (event.event === 'error' || carriesError) {
        throw new ApiError('server', errorMessageOf(data) ?? 'the server reported an error');
      }
      onEvent(event.event, data);
      if (event.event === 'done') return data;
    }
    throw new ApiError('connection', 'the stream ended before the answer was complete');
  } catch (error) {
    throw toApiError(error, signal);
  }
}
