/**
 * `POST /api/imagine` (docs/http-api.md): JSON in, the `imagine` task's denoising steps out as
 * `progress` events, then one `image` event per PNG (its URL under /outputs and its provenance),
 * then `done`. Everything that can be refused (fields, sizes, style, model name) is refused before
 * the stream starts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { styleTemplate } from '../../tasks/imagine/index.ts';
import { generateImages } from '../api/generate-images.ts';
import {
  guidanceScale,
  imageCount,
  imagePrompt,
  imageSeed,
  imageSide,
  imageSteps,
  MAX_IMAGE_PIXELS,
  negativePrompt,
  pixelsWithinBound,
  styleName,
} from '../api/image-request.ts';
import { invalidRequest } from '../http-errors.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream } from '../sse/event-stream.ts';
import { parseWith, readJsonBody } from '../validation.ts';

const imagineSchema = z.strictObject({
  prompt: imagePrompt,
  negative_prompt: negativePrompt.optional(),
  style: styleName.optional(),
  width: imageSide.optional(),
  height: imageSide.optional(),
  steps: imageSteps.optional(),
  guidance: guidanceScale.optional(),
  count: imageCount.optional(),
  seed: imageSeed.optional(),
  model: modelName.optional(),
});

export function apiImagineRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/api/imagine', limitBody(services.limits.jsonBodyBytes), async (c) => {
    const body = parseWith(imagineSchema, await readJsonBody(c));
    if (!pixelsWithinBound(body)) {
      throw invalidRequest(`width × height must be at most ${MAX_IMAGE_PIXELS} pixels`, 'width', 'size_too_large');
    }
    if (body.style !== undefined && body.style.trim() !== '') styleTemplate(body.style);
    const lease = await services.models.acquire('imageGeneration', body.model, c.get('signal'));
    return eventStream(
      c,
      services,
      async (send, signal) => {
        let progressSent = Promise.resolve();
        const outcome = await generateImages(
          services,
          lease,
          {
            prompt: body.prompt,
            negativePrompt: body.negative_prompt,
            style: body.style?.trim() || undefined,
            width: body.width,
            height: body.height,
            steps: body.steps,
            guidance: body.guidance,
            count: body.count,
            seed: body.seed,
            model: body.model,
          },
          signal,
          (progress) => {
            // Progress arrives synchronously from the denoising loop; events go out in order.
            progressSent = progressSent
              .then(() => send('progress', { step: progress.step, total_steps: progress.totalSteps }))
              .catch(() => undefined);
          },
        );
        await progressSent;
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
      () => lease.release(),
    );
  });

  return app;
}
