/**
 * `GET /api/ps` (what `mmkit models ps` and the Models page show): the models this server has
 * loaded, one row per runner (or in-process model), in docs/http-api.md's snake_case fields;
 * `mmkit models ps` reads them back into its `RunnerStatus`. `POST /api/unload {key}` unloads one.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

const unloadSchema = z.strictObject({ key: z.string().min(1).max(2000) });

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
  // Unload one model now (the Models page's button); its key is the one /api/ps shows.
  app.post('/api/unload', async (c) => {
    const { key } = parseWith(unloadSchema, await readJsonBody(c, services.limits.jsonBodyBytes));
    await services.models.unload(key);
    return c.json({ key, unloaded: true });
  });
  return app;
}
