/**
 * Turns what an OpenAI-compatible server answers when it fails (a status, its headers and body) into
 * one-line `MmkitError`s that say what happened and what to do. Servers differ in error bodies:
 * OpenAI and vLLM send `{error: {message}}`, Ollama `{error: "…"}`, FastAPI-based ones `{detail}`.
 */
import { MmkitError } from '../../../errors.ts';
import { errorBodySchema } from './wire-schemas.ts';

export interface FailedResponse {
  status: number;
  statusText: string;
  headers: Headers;
  bodyText: string;
  url: string;
  model: string;
}

/** An upstream 429, with the wait the server asked for (seconds), so a caller can pass it on. */
export class OpenAiRateLimitError extends MmkitError {
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds: number | undefined) {
    super(message, { code: 'provider_rate_limited', type: 'runtime_error', status: 429 });
    this.name = 'OpenAiRateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function errorFromStatus(failed: FailedResponse): MmkitError {
  const { status, url, model } = failed;
  const relayed = relayedMessage(failed);
  const detail = relayed ? `: ${relayed}` : '';
  if (status === 401) {
    return new MmkitError(`${url}: 401 unauthorized${detail}; set the API key (apiKey) for model '${model}'`, {
      code: 'provider_unauthorized',
      type: 'runtime_error',
      status: 502,
    });
  }
  if (status === 403) {
    return new MmkitError(`${url}: 403 forbidden${detail}; the API key may not use model '${model}'`, {
      code: 'provider_forbidden',
      type: 'runtime_error',
      status: 502,
    });
  }
  if (status === 404) {
    return new MmkitError(
      `${url}: 404 model '${model}' not found${detail}; check the model name and that the server serves this endpoint`,
      { code: 'model_not_found', type: 'not_found_error', status: 404, param: model },
    );
  }
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(failed.headers.get('retry-after'));
    const wait = retryAfterSeconds === undefined ? '; retry later' : `; retry after ${retryAfterSeconds} s`;
    return new OpenAiRateLimitError(`${url}: 429 rate limited${detail}${wait}`, retryAfterSeconds);
  }
  if (status >= 500) {
    return new MmkitError(`${url}: server error ${status}${detail || ` ${failed.statusText}`}`, {
      code: 'provider_server_error',
      type: 'runtime_error',
      status: 502,
    });
  }
  return new MmkitError(`${url}: request rejected with ${status}${detail || ` ${failed.statusText}`}`, {
    code: 'provider_request_rejected',
    type: 'invalid_request_error',
    status: 400,
  });
}

/** The server's own explanation, from whichever error shape it uses; never a whole HTML page. */
export function relayedMessage(failed: Pick<FailedResponse, 'headers' | 'bodyText'>): string {
  const text = failed.bodyText.trim();
  if (text === '') return '';
  const contentType = failed.headers.get('content-type') ?? '';
  if (contentType.includes('html') || text.startsWith('<')) return '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return shorten(text);
  }
  return shorten(messageFromBody(body) ?? '');
}

/** The message inside an error-shaped JSON value, or undefined when it is not one. */
export function messageFromBody(body: unknown): string | undefined {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { error, detail, message } = parsed.data;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') return error.message ?? (error.code ? String(error.code) : 'unknown error');
  if (typeof detail === 'string') return detail;
  if (detail !== undefined && detail !== null) return JSON.stringify(detail);
  return message ?? undefined;
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function shorten(text: string): string {
  // A trailing full stop would clash with the advice we append after a semicolon.
  const firstLine = (text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim().replace(/\.$/, '');
  return firstLine.length > 300 ? `${firstLine.slice(0, 297)}...` : firstLine;
}
