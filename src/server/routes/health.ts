/** `GET /health`: answers while the server accepts requests (no auth, no model loaded). */
import { Hono } from 'hono';
import { version } from '../../version.ts';
import type { ServerEnv } from '../server-context.ts';

export function healthRoutes(): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/health', (c) => c.json({ status: 'ok', version }));
  return app;
}
