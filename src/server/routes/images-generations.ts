/**
 * `POST /v1/images/generations`: OpenAI's image API over the `imagine` task. `n`, `size` (`WxH`,
 * multiples of 8), `response_format` url | b64_json, and mmkit's extras `negative_prompt`, `steps`,
 * `guidance_scale`, `seed`, `style`. With `stream: true` the answer is OpenAI's image event stream:
 * `image_generation.partial_image` previews (`partial_images`, 0–3: the model's estimate of the
 * finished image at a few denoising steps), then one `image_generation.completed` per image.
 */
import { Hono } from 'hono';
import { generationParameters, generationRequestSchema, requireStartImage } from '../api/image-request.ts';
import { answerImageRequest } from '../api/openai-images.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

export function imagesGenerationsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/v1/images/generations', async (c) => {
    const body = parseWith(generationRequestSchema, await readJsonBody(c, services.limits.jsonBodyBytes));
    const wanted = generationParameters(body);
    requireStartImage(wanted);
    return answerImageRequest(c, services, wanted, {
      kind: 'image_generation',
      stream: body.stream ?? false,
      format: body.response_format ?? 'url',
    });
  });

  return app;
}
