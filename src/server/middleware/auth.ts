/** Optional API key: `Authorization: Bearer <key>` on every route but /health, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { unauthorized } from '../http-errors.ts';

const PUBLIC_PATHS = new Set(['/health']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function requireApiKey(apiKey: string): MiddlewareHandler {
  const expected = digest(apiKey);
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' || PUBLIC_PATHS.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) throw unauthorized();
    return next();
  };
}
