/**
 * `POST /v1/images/generations`: OpenAI's image API over the `imagine` task. `n`, `size` (`WxH`,
 * multiples of 8), `response_format` url | b64_json, and mmkit's extras `negative_prompt`, `steps`,
 * `guidance_scale`, `seed`, `style`. With `stream: true` the answer is an event stream: `progress`
 * per denoising step, then `done` whose data is the same body as the non-streamed answer.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { styleTemplate } from '../../tasks/imagine/index.ts';
import { type GenerationOutcome, generateImages, type ImageGenerationParameters } from '../api/generate-images.ts';
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

const SIZE = /^(\d{1,5})x(\d{1,5})$/;

/** Loose like OpenAI's own: SDKs add fields; the known ones are checked strictly. */
const generationSchema = z.looseObject({
  prompt: imagePrompt,
  model: modelName.nullish(),
  n: imageCount.nullish(),
  size: z.string().max(20).regex(SIZE, 'must be WIDTHxHEIGHT, e.g. 512x512').or(z.literal('auto')).nullish(),
  response_format: z.enum(['url', 'b64_json']).nullish(),
  negative_prompt: negativePrompt.nullish(),
  steps: imageSteps.nullish(),
  guidance_scale: guidanceScale.nullish(),
  seed: imageSeed.nullish(),
  style: styleName.nullish(),
  stream: z.boolean().nullish(),
});

type GenerationBody = z.infer<typeof generationSchema>;

function parseSize(size: string | null | undefined): { width?: number; height?: number } {
  if (size === null || size === undefined || size === 'auto') return {};
  const match = SIZE.exec(size)!;
  const sides = { width: Number(match[1]), height: Number(match[2]) };
  for (const [name, side] of Object.entries(sides)) {
    const checked = imageSide.safeParse(side);
    if (!checked.success) {
      throw invalidRequest(`invalid 'size': ${name} ${side}: ${checked.error.issues[0]!.message}`, 'size');
    }
  }
  if (!pixelsWithinBound(sides)) {
    throw invalidRequest(`invalid 'size': at most ${MAX_IMAGE_PIXELS} pixels per image`, 'size', 'size_too_large');
  }
  return sides;
}

function parameters(body: GenerationBody): ImageGenerationParameters {
  const style = body.style?.trim() || undefined;
  if (style !== undefined) styleTemplate(style);
  return {
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? undefined,
    style,
    ...parseSize(body.size),
    steps: body.steps ?? undefined,
    guidance: body.guidance_scale ?? undefined,
    count: body.n ?? 1,
    seed: body.seed ?? undefined,
    model: body.model ?? undefined,
  };
}

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

export function imagesGenerationsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.post('/v1/images/generations', limitBody(services.limits.jsonBodyBytes), async (c) => {
    const body = parseWith(generationSchema, await readJsonBody(c));
    const wanted = parameters(body);
    const format = body.response_format ?? 'url';
    const origin = new URL(c.req.url).origin;
    const lease = await services.models.acquire('imageGeneration', wanted.model, c.get('signal'));
    if (!body.stream) {
      try {
        const outcome = await generateImages(services, lease, wanted, c.get('signal'));
        return c.json(openAiBody(outcome, format, origin));
      } finally {
        lease.release();
      }
    }
    return eventStream(
      c,
      services,
      async (send, signal) => {
        let progressSent = Promise.resolve();
        const outcome = await generateImages(services, lease, wanted, signal, (progress) => {
          progressSent = progressSent
            .then(() => send('progress', { step: progress.step, total_steps: progress.totalSteps }))
            .catch(() => undefined);
        });
        await progressSent;
        await send('done', openAiBody(outcome, format, origin));
      },
      () => lease.release(),
    );
  });

  return app;
}
