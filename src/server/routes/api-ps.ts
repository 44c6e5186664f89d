/**
 * `GET /api/ps` (what `mmkit models ps` and the Models page show): the models this server has
 * loaded. They live in the server's own process today, so `pid` and `rss_bytes` are the server's;
 * they never expire (`expires_in_ms` null) until the server stops. Field names are the wire's
 * snake_case (docs/http-api.md); `mmkit models ps` reads them into its `RunnerStatus`.
 */
import { Hono } from 'hono';
import type { LoadedModelStatus } from '../model-service.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export interface RunningModelBody {
  key: string;
  capability: string;
  pid: number | null;
  rss_bytes: number;
  state: 'loading' | 'idle' | 'busy';
  running: number;
  queue: number;
  idle_ms: number;
  expires_in_ms: number | null;
  loaded_at: string | null;
}

export function runningModelBody(status: LoadedModelStatus, now: number, rssBytes: number): RunningModelBody {
  const state = status.state === 'loading' ? 'loading' : status.running > 0 ? 'busy' : 'idle';
  const idleSince = status.lastUsedAt ?? status.loadedAt;
  return {
    key: `${status.capability}:${status.id}`,
    capability: status.capability,
    pid: status.state === 'loading' ? null : process.pid,
    rss_bytes: rssBytes,
    state,
    running: status.running,
    queue: status.waiting,
    idle_ms: state === 'idle' && idleSince !== null ? Math.max(0, now - idleSince) : 0,
    expires_in_ms: null,
    loaded_at: status.loadedAt === null ? null : new Date(status.loadedAt).toISOString(),
  };
}

export function apiPsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/api/ps', (c) => {
    const now = Date.now();
    const rss = process.memoryUsage.rss();
    // A model that failed to load is not loaded: the next request retries it.
    const loaded = services.models.status().filter((status) => status.state !== 'failed');
    return c.json({ models: loaded.map((status) => runningModelBody(status, now, rss)) });
  });
  return app;
}
