/**
 * Every failure becomes `{error: {message, type, param, code}}` with the status from `mapError`;
 * our own bugs are logged with the request id and answered as a bare 500. Unknown routes are 404s
 * in the same shape.
 */
import type { Context } from 'hono';
import { type ErrorBody, isAbortError, logLine, mapError, notFound } from '../http-errors.ts';
import type { ServerEnv } from '../server-context.ts';

export function respondWithError(
  c: Context<ServerEnv>,
  error: unknown,
  log: (line: string) => void,
  /** Reshapes the body for routes with their own error format (the seed's `/qa`). */
  shape: (body: ErrorBody) => object = (body) => body,
): Response {
  const requestId = c.get('requestId') ?? 'unknown';
  // The client went away: nobody reads this answer, and it is not our bug.
  if (isAbortError(error) && c.get('cancellation')?.aborted) {
    return c.json(
      { error: { message: 'request cancelled', type: 'invalid_request_error', param: null, code: 'cancelled' } },
      499 as 400,
    );
  }
  const mapped = mapError(error, requestId);
  if (mapped.internal) log(logLine(error, requestId, c.req.method, c.req.path));
  for (const [name, value] of Object.entries(mapped.headers)) c.header(name, value);
  return c.json(shape(mapped.body), mapped.status as 400);
}

export function routeNotFound(c: Context<ServerEnv>): never {
  throw notFound(`no route for ${c.req.method} ${c.req.path}`, 'route_not_found');
}
