/**
 * `GET /api/ps` (what `mmkit models ps` and the Models page show): the models this server has
 * loaded, one row per runner (or in-process model), in docs/http-api.md's snake_case fields;
 * `mmkit models ps` reads them back into its `RunnerStatus`.
 */
import { Hono } from 'hono';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export function runningModelBody(status: RunnerStatus) {
  return {
    key: status.key,
    capability: status.capability,
    pid: status.pid,
    rss_bytes: status.rssBytes,
    state: status.state,
    running: status.running,
    queue: status.queueLength,
    idle_ms: status.idleMs,
    expires_in_ms: status.expiresInMs,
    loaded_at: status.loadedAt,
  };
}

export function apiPsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/api/ps', async (c) => c.json({ models: (await services.models.status()).map(runningModelBody) }));
  return app;
}
