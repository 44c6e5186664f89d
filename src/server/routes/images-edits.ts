/**
 * `POST /v1/images/edits`: OpenAI's image edit form, answered by image to image. Multipart: the
 * picture as `image` (one), `prompt`, and the fields `/v1/images/generations` takes (`n`, `size`,
 * `response_format`, `stream`, `partial_images`, `negative_prompt`, `steps`, `guidance_scale`,
 * `seed`, `style`) plus `strength` (how much of the picture is redrawn, default 0.8). Without a
 * `size` the picture keeps its aspect ratio. A `mask` (the picture's size; transparent where to
 * repaint, OpenAI's convention) inpaints, at strength 1 by default. Streams as
 * `image_edit.partial_image` and `image_edit.completed` events, as OpenAI's do.
 */
import { Hono } from 'hono';
import {
  generationParameters,
  generationRequestSchema,
  IMAGE_FORM_BOOLEANS,
  IMAGE_FORM_NUMBERS,
} from '../api/image-request.ts';
import { answerImageRequest } from '../api/openai-images.ts';
import { FORM_OVERHEAD_BYTES, formValues, readMask, readStartImage } from '../api/start-image-form.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith } from '../validation.ts';

export function imagesEditsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/v1/images/edits', limitBody(services.limits.imageUploadBytes + FORM_OVERHEAD_BYTES), async (c) => {
    const form = await readMultipart(c);
    const body = parseWith(generationRequestSchema, formValues(form, IMAGE_FORM_NUMBERS, IMAGE_FORM_BOOLEANS));
    const mask = await readMask(form, services);
    const image = await readStartImage(form, services);
    const wanted = { ...generationParameters(body), image, ...(mask ? { mask } : {}) };
    return answerImageRequest(c, services, wanted, {
      kind: 'image_edit',
      stream: body.stream ?? false,
      format: body.response_format ?? 'url',
    });
  });

  return app;
}
