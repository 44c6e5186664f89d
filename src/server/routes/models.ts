/**
 * `GET /v1/models`: the names clients may send as `model`: configured entries, each capability's
 * default, models in the local cache, and any the server was started with.
 */
import { Hono } from 'hono';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export function modelsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/v1/models', async (c) => {
    const served = await services.models.list();
    return c.json({
      object: 'list',
      data: served.map((model) => ({
        id: model.name,
        object: 'model',
        created: 0,
        owned_by: 'mmkit',
        // As vLLM lists LoRA adapters: the base model they apply to.
        ...(model.base ? { parent: model.base } : {}),
        mmkit: { source: model.source, default_for: model.defaultFor },
      })),
    });
  });
  return app;
}
