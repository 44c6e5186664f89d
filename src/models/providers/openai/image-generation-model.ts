/**
 * `ImageGenerationModel` over `POST {baseURL}/images/generations` with `response_format: b64_json`;
 * the PNGs that come back are decoded with sharp into RGB pixels. Diffusion fields outside the
 * OpenAI API (negative prompt, seed, steps, guidance) are sent only where the entry says the
 * server takes them: OpenAI rejects unknown fields.
 */
import sharp from 'sharp';
import { describeError, MmkitError } from '../../../errors.ts';
import type {
  GeneratedImage,
  ImageGenerationModel,
  ImageGenerationRequest,
  ImageGenerationResult,
  ModelDescription,
} from '../../spec/index.ts';
import { type OpenAiConnection, postJson } from './http-client.ts';
import type { ImageExtraField, ResolvedOpenAiImageGenerationOptions } from './options.ts';
import { imagesSchema, parseWire } from './wire-schemas.ts';

export class OpenAiImageGenerationModel implements ImageGenerationModel {
  readonly description: ModelDescription;

  constructor(
    private readonly connection: OpenAiConnection,
    readonly modelName: string,
    private readonly options: ResolvedOpenAiImageGenerationOptions,
    id: string,
  ) {
    this.description = { id, provider: 'openai' };
  }

  async generate(request: ImageGenerationRequest): Promise<ImageGenerationResult> {
    const started = performance.now();
    validate(request);
    // A server that takes a seed gets one request per image (seed, seed + 1, …), so every image is
    // reproducible on its own; otherwise images are batched up to the server's `n` limit.
    const seeded = this.accepts('seed');
    const batch = seeded ? 1 : this.options.maxImagesPerRequest;
    const images: GeneratedImage[] = [];
    let firstOutputMs: number | undefined;
    while (images.length < request.count) {
      const n = Math.min(batch, request.count - images.length);
      const seed = request.seed + images.length;
      const { value, url } = await postJson(
        this.connection,
        '/images/generations',
        { json: this.requestBody(request, n, seed) },
        { model: this.modelName, signal: request.signal },
      );
      const answer = parseWire(imagesSchema, value, url);
      if (answer.data.length < n) {
        throw new MmkitError(`${url}: asked for ${n} images, got ${answer.data.length}`, {
          code: 'provider_bad_response',
          type: 'runtime_error',
          status: 502,
        });
      }
      for (const [index, item] of answer.data.slice(0, n).entries()) {
        if (!item.b64_json) {
          throw new MmkitError(`${url}: image ${index} has no b64_json (the server ignored response_format)`, {
            code: 'provider_bad_response',
            type: 'runtime_error',
            status: 502,
          });
        }
        images.push({ ...(await decodeToRgb(item.b64_json, url)), seed: seed + index });
      }
      firstOutputMs ??= performance.now() - started;
    }
    // The server reports no steps; the caller still hears that the work is done.
    request.onProgress?.({ step: request.steps, totalSteps: request.steps });
    return {
      images,
      scheduler: this.options.scheduler,
      timings: { totalMs: performance.now() - started, firstOutputMs },
    };
  }

  private accepts(field: ImageExtraField): boolean {
    return this.options.extraFields.includes(field);
  }

  private requestBody(request: ImageGenerationRequest, n: number, seed: number): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: this.modelName,
      prompt: request.prompt,
      n,
      size: `${request.width}x${request.height}`,
      response_format: 'b64_json',
    };
    const extras: Record<ImageExtraField, unknown> = {
      negative_prompt: request.negativePrompt || undefined,
      seed,
      steps: request.steps,
      guidance_scale: request.guidanceScale,
    };
    for (const field of this.options.extraFields) {
      if (extras[field] !== undefined) body[this.options.extraFieldNames[field] ?? field] = extras[field];
    }
    return body;
  }
}

function validate(request: ImageGenerationRequest): void {
  const fail = (param: string, reason: string) =>
    new MmkitError(`image generation: ${param} ${reason}`, { code: 'invalid_image_request', param });
  if (!Number.isInteger(request.width) || request.width < 1) throw fail('width', 'must be a positive integer');
  if (!Number.isInteger(request.height) || request.height < 1) throw fail('height', 'must be a positive integer');
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > 10) {
    throw fail('count', 'must be an integer from 1 to 10');
  }
  if (request.prompt.trim() === '') throw fail('prompt', 'is empty');
}

async function decodeToRgb(base64: string, url: string): Promise<Omit<GeneratedImage, 'seed'>> {
  try {
    const { data, info } = await sharp(Buffer.from(base64, 'base64'))
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion`);
    return {
      width: info.width,
      height: info.height,
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (error) {
    throw new MmkitError(`${url}: the returned image does not decode (${describeError(error)})`, {
      code: 'provider_bad_response',
      type: 'runtime_error',
      status: 502,
      cause: error,
    });
  }
}
