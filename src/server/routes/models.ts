/**
 * `GET /v1/models` and `GET /v1/models/{model}`: the names clients may send as `model`: configured
 * entries, each capability's default, models in the local cache, and any the server was started
 * with (Hub ids keep their slash: `/v1/models/Xenova/clip-vit-base-patch32`).
 */
import { Hono } from 'hono';
import { notFound } from '../http-errors.ts';
import type { ServedModel } from '../model-service.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export function modelsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.get('/v1/models', async (c) => {
    const served = await services.models.list();
    return c.json({ object: 'list', data: served.map(openAiModel) });
  });
  app.get('/v1/models/:model{.+}', async (c) => {
    const name = c.req.param('model');
    const model = (await services.models.list()).find((served) => served.name === name);
    if (!model) throw notFound(`the model '${name}' is not served here`, 'model_not_found', 'model');
    return c.json(openAiModel(model));
  });
  return app;
}

function openAiModel(model: ServedModel) {
  return {
    id: model.name,
    object: 'model',
    created: 0,
    owned_by: 'mmkit',
    // As vLLM lists LoRA adapters: the base model they apply to.
    ...(model.base ? { parent: model.base } : {}),
    mmkit: { source: model.source, default_for: model.defaultFor },
  };
}
