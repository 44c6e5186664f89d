/**
 * `POST /api/imagine` (docs/http-api.md): JSON in, or a multipart form with the same fields and an
 * `image` file to start from (image to image, with `strength`; a `mask` file inpaints); the `imagine` task's denoising
 * steps out as `progress` events, then one `image` event per PNG (its URL under /outputs and its
 * provenance), then `done`. Everything that can be refused (fields, sizes, style, model name, the
 * picture) is refused before the stream starts.
 */
import { type Context, Hono } from 'hono';
import type { ImageGenerationParameters } from '../api/generate-images.ts';
import { streamImageGeneration } from '../api/generate-images.ts';
import {
  IMAGE_FORM_NUMBERS,
  imagineParameters,
  imagineRequestSchema,
  requireStartImage,
} from '../api/image-request.ts';
import { FORM_OVERHEAD_BYTES, formValues, readMask, readStartImage } from '../api/start-image-form.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

async function readParameters(c: Context<ServerEnv>, services: ServerServices): Promise<ImageGenerationParameters> {
  if (!c.req.header('content-type')?.toLowerCase().startsWith('multipart/form-data')) {
    const parameters = imagineParameters(
      parseWith(imagineRequestSchema, await readJsonBody(c, services.limits.jsonBodyBytes)),
    );
    requireStartImage(parameters);
    return parameters;
  }
  const form = await readMultipart(c);
  const parameters = imagineParameters(parseWith(imagineRequestSchema, formValues(form, IMAGE_FORM_NUMBERS, [])));
  const mask = await readMask(form, services);
  return { ...parameters, image: await readStartImage(form, services), ...(mask ? { mask } : {}) };
}

export function apiImagineRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/api/imagine', limitBody(services.limits.imageUploadBytes + FORM_OVERHEAD_BYTES), async (c) => {
    const parameters = await readParameters(c, services);
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
          strength: result.strength ?? null,
          timings: result.timings,
        });
      },
    });
  });

  return app;
}
