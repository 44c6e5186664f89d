/**
 * OpenAI's image answers, shared by `/v1/images/generations` and `/v1/images/edits`: the JSON body
 * (`data` of URLs or base64 PNGs) and the event stream (`<kind>.partial_image` previews, then one
 * `<kind>.completed` per image; the kind is `image_generation` or `image_edit`).
 */
import type { Context } from 'hono';
import type { GeneratedImage } from '../../models/spec/image-generation-model.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import type { SendEvent } from '../sse/event-stream.ts';
import {
  encodePng,
  type GenerationOutcome,
  generateImages,
  type ImageGenerationParameters,
  leaseImageModel,
  streamImageGeneration,
} from './generate-images.ts';

export type ImageEventKind = 'image_generation' | 'image_edit';

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

/** `<kind>.completed` per image (with its URL too: the file is stored anyway). */
async function sendCompleted(
  kind: ImageEventKind,
  outcome: GenerationOutcome,
  origin: string,
  send: SendEvent,
): Promise<void> {
  for (const image of outcome.images) {
    await send(`${kind}.completed`, {
      type: `${kind}.completed`,
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

/** Runs a request and answers it as OpenAI does: an event stream when asked, else one JSON body. */
export async function answerImageRequest(
  c: Context<ServerEnv>,
  services: ServerServices,
  wanted: ImageGenerationParameters,
  options: { kind: ImageEventKind; stream: boolean; format: 'url' | 'b64_json' },
): Promise<Response> {
  const origin = new URL(c.req.url).origin;
  const { kind } = options;
  if (options.stream) {
    // Previews of the denoising so far, then each finished image.
    return streamImageGeneration(c, services, wanted, {
      partialImages: async (partial, send) => {
        for (const [index, image] of partial.images.entries()) {
          await send(`${kind}.partial_image`, {
            type: `${kind}.partial_image`,
            ...eventFields(image),
            b64_json: (await encodePng(image)).toString('base64'),
            partial_image_index: partial.index,
            image_index: index,
          });
        }
      },
      done: (outcome, send) => sendCompleted(kind, outcome, origin, send),
    });
  }
  const lease = await leaseImageModel(c, services, wanted);
  try {
    const outcome = await generateImages(services, lease, wanted, requestSignal(c));
    return c.json(openAiBody(outcome, options.format, origin));
  } finally {
    lease.release();
  }
}
