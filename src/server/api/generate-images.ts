/**
 * Image generation for the routes: the `imagine` task on a leased model, its PNGs (provenance in
 * their text chunks) moved into the server's `outputs/` under server-made names. The task writes
 * into a hidden scratch folder inside `outputs/` (its names match no served pattern), removed after.
 * `streamImageGeneration` is the set-up both `/api/imagine` and `/v1/images/generations` stream
 * with: checks, lease, event stream, ordered progress and preview events, release.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'hono';
import sharp from 'sharp';
import { readPngText } from '../../media/png-text.ts';
import type {
  GeneratedImage,
  ImageGenerationProgress,
  PartialImages,
} from '../../models/spec/image-generation-model.ts';
import { type ImagineOptions, type ImagineResult, imagine, styleTemplate } from '../../tasks/imagine/index.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ModelLease } from '../model-service.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream, orderedSends, type SendEvent } from '../sse/event-stream.ts';
import type { StoredFile } from '../uploads/file-store.ts';

/** What a request asks the `imagine` task for; `model` is the name the request gave (none: the default). */
export type ImageGenerationParameters = Pick<
  ImagineOptions,
  | 'prompt'
  | 'negativePrompt'
  | 'style'
  | 'width'
  | 'height'
  | 'steps'
  | 'guidance'
  | 'count'
  | 'seed'
  | 'partialImages'
  | 'image'
  | 'mask'
  | 'strength'
> & { model?: string | undefined };

export type GenerationHooks = Pick<ImagineOptions, 'onProgress' | 'onPartialImages'>;

export interface GeneratedFile {
  index: number;
  file: StoredFile;
  png: Uint8Array;
  seed: number;
  width: number;
  height: number;
  provenance: Record<string, string>;
}

export interface GenerationOutcome {
  result: ImagineResult;
  images: GeneratedFile[];
  model: string;
}

/** Runs on a model the caller leased (and releases: a lease taken before a stream outlives this call). */
export async function generateImages(
  services: ServerServices,
  lease: ModelLease<'imageGeneration'>,
  parameters: ImageGenerationParameters,
  signal: AbortSignal,
  hooks: GenerationHooks = {},
): Promise<GenerationOutcome> {
  const scratch = join(services.files.folder('outputs'), `.imagine-${randomBytes(8).toString('hex')}`);
  try {
    await mkdir(scratch);
    const { model: modelName, ...request } = parameters;
    const result = await imagine({
      ...request,
      ...hooks,
      outDir: scratch,
      model: lease.model,
      modelName: modelName ?? lease.id,
      maxImagePixels: services.limits.maxPixels,
      signal,
    });
    signal.throwIfAborted();
    const images: GeneratedFile[] = [];
    for (const [index, image] of result.images.entries()) {
      const png = new Uint8Array(await readFile(image.path));
      const provenance = readPngText(png);
      const file = await services.files.save('outputs', png, 'png', { kind: 'imagine', provenance });
      images.push({ index, file, png, seed: image.seed, width: image.width, height: image.height, provenance });
    }
    return { result, images, model: lease.id };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Checks what the task would refuse late (the style's name), then waits for a turn on the model. */
export async function leaseImageModel(
  c: Context<ServerEnv>,
  services: ServerServices,
  parameters: ImageGenerationParameters,
): Promise<ModelLease<'imageGeneration'>> {
  if (parameters.style !== undefined) styleTemplate(parameters.style);
  return services.models.acquire('imageGeneration', parameters.model, requestSignal(c));
}

/** What a streamed generation sends: each handler gets the stream's `send`, in the order things happen. */
export interface GenerationEvents {
  progress?: (progress: ImageGenerationProgress, send: SendEvent) => Promise<void>;
  partialImages?: (partial: PartialImages, send: SendEvent) => Promise<void>;
  done: (outcome: GenerationOutcome, send: SendEvent) => Promise<void>;
}

/**
 * A generation answered as an event stream. Everything that can be refused is refused before the
 * stream starts (so it still gets a 4xx); the lease is released when the stream ends, however.
 */
export async function streamImageGeneration(
  c: Context<ServerEnv>,
  services: ServerServices,
  parameters: ImageGenerationParameters,
  events: GenerationEvents,
): Promise<Response> {
  const lease = await leaseImageModel(c, services, parameters);
  return eventStream(
    c,
    services,
    async (send, signal) => {
      // Progress and previews arrive synchronously from the denoising loop; events go out in order.
      const sent = orderedSends();
      const { progress, partialImages } = events;
      const outcome = await generateImages(services, lease, parameters, signal, {
        onProgress: progress && ((update) => sent.queue(() => progress(update, send))),
        onPartialImages: partialImages && ((partial) => sent.queue(() => partialImages(partial, send))),
      });
      await sent.done();
      await events.done(outcome, send);
    },
    () => lease.release(),
  );
}

export async function encodePng(image: GeneratedImage): Promise<Buffer> {
  return sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
}
