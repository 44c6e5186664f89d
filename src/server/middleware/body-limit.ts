/**
 * Per-route body size limits answering our 413. A declared `Content-Length` is checked from the
 * header alone (the common case, and cheap: touching `c.req.raw.body` would make the Node adapter
 * build a full web `Request` per request); a chunked body with no length is counted as it streams
 * by Hono's `bodyLimit`.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from '../http-errors.ts';
import { requestHeader } from './request-context.ts';

export function limitBody(maxBytes: number): MiddlewareHandler {
  const streamed = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    const declared = requestHeader(c, 'content-length');
    if (declared !== undefined && requestHeader(c, 'transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
      return next();
    }
    return streamed(c, next);
  };
}
