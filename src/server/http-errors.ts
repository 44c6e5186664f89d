/**
 * The HTTP side of errors: constructors for the 4xx the server itself raises, and the one mapping
 * from anything thrown to a status and an `{error: {message, type, param, code}}` body. An
 * `MmkitError` is the client's problem and keeps its message; anything else is our bug: a 500 with
 * the request id and no detail (the detail goes to the log).
 */
import { HTTPException } from 'hono/http-exception';
import { describeError, isMmkitError, MmkitError } from '../errors.ts';

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when this is our bug and should be logged. */
  internal: boolean;
}

export function invalidRequest(message: string, param: string | undefined, code = 'invalid_request'): MmkitError {
  return new MmkitError(message, { code, ...(param === undefined ? {} : { param }) });
}

export function unauthorized(): MmkitError {
  return new MmkitError('missing or invalid API key: send Authorization: Bearer <key>', {
    code: 'invalid_api_key',
    status: 401,
  });
}

export function payloadTooLarge(limitBytes: number): MmkitError {
  return new MmkitError(`request body is over the limit of ${limitBytes} bytes for this route`, {
    code: 'body_too_large',
    status: 413,
  });
}

export function unsupportedMediaType(message: string, param?: string): MmkitError {
  return new MmkitError(message, {
    code: 'unsupported_media_type',
    status: 415,
    ...(param === undefined ? {} : { param }),
  });
}

export function notFound(message: string, code: string, param?: string): MmkitError {
  return new MmkitError(message, {
    code,
    type: 'not_found_error',
    ...(param === undefined ? {} : { param }),
  });
}

export function queueFull(model: string, retryAfterSeconds: number): MmkitError {
  const error = new MmkitError(`model ${model} is busy: its queue is full, retry in ${retryAfterSeconds} s`, {
    code: 'queue_full',
    type: 'runtime_error',
    status: 429,
    param: 'model',
  });
  return Object.assign(error, { retryAfterSeconds });
}

export function shuttingDown(): MmkitError {
  return new MmkitError('the server is shutting down', { code: 'shutting_down', type: 'runtime_error', status: 503 });
}

/** Statuses an `MmkitError` may carry to a client; anything else is treated as a bug. */
const CLIENT_STATUSES = new Set([400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 499, 500, 502, 503, 504]);

export function mapError(error: unknown, requestId: string): MappedError {
  if (isMmkitError(error)) {
    const headers: Record<string, string> = {};
    // A full queue, ours or the runner pool's later, is always a 429 with a hint of when to retry.
    let status = CLIENT_STATUSES.has(error.status) ? error.status : 500;
    if (error.code === 'queue_full') {
      status = 429;
      const retry = (error as MmkitError & { retryAfterSeconds?: number }).retryAfterSeconds;
      headers['Retry-After'] = String(Math.max(1, Math.ceil(retry ?? 1)));
    }
    if (error.code === 'shutting_down') headers.Connection = 'close';
    return { status, body: error.toJSON(), headers, internal: status === 500 };
  }
  if (error instanceof HTTPException) {
    return {
      status: error.status,
      body: {
        error: {
          message: error.message || 'bad request',
          type: 'invalid_request_error',
          param: null,
          code: 'http_error',
        },
      },
      headers: {},
      internal: error.status >= 500,
    };
  }
  return {
    status: 500,
    body: {
      error: {
        message: `internal server error (request ${requestId})`,
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    },
    headers: {},
    internal: true,
  };
}

/** A line for the server log: never sent to the client. */
export function logLine(error: unknown, requestId: string, method: string, path: string): string {
  const stack = error instanceof Error && process.env.MMKIT_DEBUG ? `\n${error.stack}` : '';
  return `mmkit serve: ${method} ${path} (request ${requestId}) failed: ${describeError(error)}${stack}`;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
