/**
 * The model cache over HTTP (the Models page): `GET /api/models` lists what is installed and
 * whether it is loaded, `POST /api/models/pull` downloads a Hub repo with `progress` events, and
 * `DELETE /api/models/<owner>/<name>` removes one. Only Hub ids (`owner/name`, checked) reach the
 * cache code; never a path.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { capabilitiesOfFolder } from '../../models/folder-capabilities.ts';
import { listCachedModels, parseDtypeChoice, pullModel, removeCachedModel } from '../../models/hub/index.ts';
import { checkRepoId } from '../../models/hub/repo-id.ts';
import { invalidRequest } from '../http-errors.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream } from '../sse/event-stream.ts';
import { parseWith, readJsonBody } from '../validation.ts';

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

const pullSchema = z.strictObject({
  id: z.string().max(200).regex(HUB_ID, 'must be a Hugging Face model id, owner/name'),
  dtype: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_=,.-]+$/, 'must be a dtype such as q8, fp16, all, or graph=dtype,…')
    .optional(),
});

function hubId(id: string): string {
  try {
    return checkRepoId(id);
  } catch {
    throw invalidRequest(`'${id}' is not a Hugging Face model id (owner/name)`, 'id', 'model_id_invalid');
  }
}

export function apiModelsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.get('/api/models', async (c) => {
    const [cached, served] = await Promise.all([listCachedModels(services.hub), services.models.list()]);
    const keys = (await services.models.status()).map((status) => status.key);
    // A key is the model's id behind its capability or provider (`chat:<id>`, `onnx:<id>`).
    const isLoaded = (id: string) => keys.some((key) => key === id || key.endsWith(`:${id}`));
    const defaults = new Map(served.map((model) => [model.name, model.defaultFor]));
    // What the default settings name it for, then what its own files say it can do.
    const capabilities = await Promise.all(
      cached.map(async (model) => [
        ...new Set([...(defaults.get(model.id) ?? []), ...(await capabilitiesOfFolder(model.folder))]),
      ]),
    );
    return c.json({
      models: cached.map((model, index) => ({
        id: model.id,
        capabilities: capabilities[index],
        revision: model.revision,
        files: model.files,
        size_bytes: model.sizeBytes,
        loaded: isLoaded(model.id),
      })),
    });
  });

  app.post('/api/models/pull', async (c) => {
    const body = parseWith(pullSchema, await readJsonBody(c, services.limits.jsonBodyBytes));
    const id = hubId(body.id);
    const dtype = body.dtype === undefined ? undefined : parseDtypeChoice(body.dtype);
    return eventStream(c, services, async (send, signal) => {
      let sent = Promise.resolve();
      let lastFile: string | undefined;
      const result = await pullModel(id, {
        dtype,
        settings: services.hub,
        signal,
        onProgress: (progress) => {
          if (progress.phase !== 'downloading' && progress.phase !== 'done') return;
          const file = progress.file ?? lastFile ?? '';
          lastFile = file;
          sent = sent
            .then(() => send('progress', { file, bytes: progress.bytes, total_bytes: progress.total }))
            .catch(() => undefined);
        },
      });
      await sent;
      await send('done', { id: result.id, files: result.files, size_bytes: result.totalBytes });
    });
  });

  app.delete('/api/models/:owner/:name', async (c) => {
    const id = hubId(`${c.req.param('owner')}/${c.req.param('name')}`);
    await removeCachedModel(id, services.hub);
    return c.json({ id, removed: true });
  });

  return app;
}
