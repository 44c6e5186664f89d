/**
 * `POST /api/imagine` (docs/http-api.md): JSON in, the `imagine` task's denoising steps out as
 * `progress` events, then one `image` event per PNG (its URL under /outputs and its provenance),
 * then `done`. Everything that can be refused (fields, sizes, style, model name) is refused before
 * the stream starts.
 */
import { Hono } from 'hono';
import { streamImageGeneration } from '../api/generate-images.ts';
import { imagineParameters, imagineRequestSchema } from '../api/image-request.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

export function apiImagineRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/api/imagine', async (c) => {
    const parameters = imagineParameters(
      parseWith(imagineRequestSchema, await readJsonBody(c, services.limits.jsonBodyBytes)),
    );
    return streamImageGeneration(c, services, parameters, {
      progress: (progress, send) => send('progress', { step: progress.step, total_steps: progress.totalSteps }),
      done: async (outcome, send) => {
        const images = outcome.images.map((image) => ({
          index: image.index,
          url: image.file.url,
          seed: image.seed,
          width: image.width,
          height: image.height,
          provenance: image.provenance,
        }));
        for (const image of images) await send('image', image);
        const { result } = outcome;
        await send('done', {
          images,
          prompt: result.prompt,
          warnings: result.warnings,
          scheduler: result.scheduler,
          timings: result.timings,
        });
      },
    });
  });

  return app;
}
