/**
 * `POST /v1/images/generations`: OpenAI's image API over the `imagine` task. `n`, `size` (`WxH`,
 * multiples of 8), `response_format` url | b64_json, and mmkit's extras `negative_prompt`, `steps`,
 * `guidance_scale`, `seed`, `style`. With `stream: true` the answer is OpenAI's image event stream:
 * `image_generation.partial_image` previews (`partial_images`, 0–3: the model's estimate of the
 * finished image at a few denoising steps), then one `image_generation.completed` per image.
 */
import { Hono } from 'hono';
import type { GeneratedImage } from '../../models/spec/image-generation-model.ts';
import {
  encodePng,
  type GenerationOutcome,
  generateImages,
  leaseImageModel,
  streamImageGeneration,
} from '../api/generate-images.ts';
import { generationParameters, generationRequestSchema } from '../api/image-request.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import type { SendEvent } from '../sse/event-stream.ts';
import { parseWith, readJsonBody } from '../validation.ts';

function openAiBody(outcome: GenerationOutcome, format: 'url' | 'b64_json', origin: string) {
  return {
    created: Math.floor(Date.now() / 1000),
    data: outcome.images.map((image) => ({
      ...(format === 'url'
        ? { url: new URL(image.file.url, origin).href }
        : { b64_json: Buffer.from(image.png).toString('base64') }),
      revised_prompt: outcome.result.prompt,
    })),
    output_format: 'png',
    size: outcome.images[0] ? `${outcome.images[0].width}x${outcome.images[0].height}` : undefined,
  };
}

/** The fields every OpenAI image stream event carries. */
function eventFields(image: Pick<GeneratedImage, 'width' | 'height'>) {
  return {
    background: 'opaque',
    created_at: Math.floor(Date.now() / 1000),
    output_format: 'png',
    quality: 'auto',
    size: `${image.width}x${image.height}`,
  };
}

/** OpenAI's `image_generation.completed` per image (with its URL too: the file is stored anyway). */
async function sendCompleted(outcome: GenerationOutcome, origin: string, send: SendEvent): Promise<void> {
  for (const image of outcome.images) {
    await send('image_generation.completed', {
      type: 'image_generation.completed',
      ...eventFields(image),
      b64_json: Buffer.from(image.png).toString('base64'),
      url: new URL(image.file.url, origin).href,
      image_index: image.index,
      revised_prompt: outcome.result.prompt,
      // Nothing is billed: mmkit counts no image tokens.
      usage: {
        input_tokens: 0,
        input_tokens_details: { image_tokens: 0, text_tokens: 0 },
        output_tokens: 0,
        total_tokens: 0,
      },
    });
  }
}

export function imagesGenerationsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/v1/images/generations', async (c) => {
    const body = parseWith(generationRequestSchema, await readJsonBody(c, services.limits.jsonBodyBytes));
    const wanted = generationParameters(body);
    const origin = new URL(c.req.url).origin;
    if (body.stream) {
      // OpenAI's image stream: previews of the denoising so far, then each finished image.
      return streamImageGeneration(c, services, wanted, {
        partialImages: async (partial, send) => {
          for (const [index, image] of partial.images.entries()) {
            await send('image_generation.partial_image', {
              type: 'image_generation.partial_image',
              ...eventFields(image),
              b64_json: (await encodePng(image)).toString('base64'),
              partial_image_index: partial.index,
              image_index: index,
            });
          }
        },
        done: (outcome, send) => sendCompleted(outcome, origin, send),
      });
    }
    const lease = await leaseImageModel(c, services, wanted);
    try {
      const outcome = await generateImages(services, lease, wanted, requestSignal(c));
      return c.json(openAiBody(outcome, body.response_format ?? 'url', origin));
    } finally {
      lease.release();
    }
  });

  return app;
}
