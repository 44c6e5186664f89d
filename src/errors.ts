/**
 * The one error type that crosses layer boundaries. Anything thrown as an `MmkitError` is the
 * user's problem (bad input, missing model, unsupported format) and is shown as one line: the CLI
 * prints `message` and exits non-zero, the server answers `status` with
 * `{error: {message, type, param, code}}`. Anything else is our bug.
 */
export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'unsupported_error' | 'runtime_error';

export interface MmkitErrorOptions {
  /** Stable machine-readable reason, e.g. `image_unreadable`. */
  code: string;
  /** The parameter, file or field at fault, when there is one. */
  param?: string;
  type?: ErrorType;
  /** HTTP status the server answers with. */
  status?: number;
  cause?: unknown;
}

export class MmkitError extends Error {
  readonly code: string;
  readonly param: string | undefined;
  readonly type: ErrorType;
  readonly status: number;

  constructor(message: string, options: MmkitErrorOptions) {
    super(oneLine(message), { cause: options.cause });
    this.name = 'MmkitError';
    this.code = options.code;
    this.param = options.param;
    this.type = options.type ?? 'invalid_request_error';
    this.status = options.status ?? (this.type === 'not_found_error' ? 404 : this.type === 'runtime_error' ? 500 : 400);
  }

  toJSON(): { error: { message: string; type: ErrorType; param: string | null; code: string } } {
    return { error: { message: this.message, type: this.type, param: this.param ?? null, code: this.code } };
  }
}

export function isMmkitError(error: unknown): error is MmkitError {
  return error instanceof MmkitError;
}

/** Messages end up on one terminal line or in one JSON field: fold whitespace, keep them short. */
function oneLine(message: string): string {
  const folded = message.replace(/\s+/g, ' ').trim();
  return folded.length > 500 ? `${folded.slice(0, 497)}...` : folded;
}

/** A short description of an arbitrary thrown value, for wrapping library errors in one line. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return oneLine(error.message.split('\n')[0] ?? error.name);
  return oneLine(String(error));
}
