/**
 * `POST /v1/embeddings`: texts, and for models with an image tower (CLIP) images given as data URLs,
 * in one shared space. `encoding_format` `float` or `base64` (little-endian float32, what the
 * official SDK asks for by default and decodes itself); `dimensions` shortens the vectors.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { EmbeddingModel } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import { imageUrlBytes } from '../media/image-url.ts';
import { type CancellationCheck, requestSignal } from '../middleware/request-context.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import type { ServerLimits } from '../server-options.ts';
import { NO_CONTROL_CHARACTERS, parseWith, readJsonBody } from '../validation.ts';

const inputText = z
  .string()
  .min(1, 'must not be empty')
  .regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');

const embeddingsSchema = z.looseObject({
  model: modelName,
  input: z.union([
    inputText,
    z.array(inputText).min(1, 'must not be empty'),
    z.array(z.number()),
    z.array(z.array(z.number())),
  ]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.int().min(1).nullish(),
});

export function embeddingsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/v1/embeddings', async (c) => {
    const body = parseWith(embeddingsSchema, await readJsonBody(c, limits.embeddingsBodyBytes));
    // One text (the usual request) needs no array building or scanning.
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    if (inputs.length === 0) throw invalidRequest('input must not be empty', 'input', 'invalid_parameter');
    let hasImage = false;
    for (const input of inputs) {
      if (typeof input !== 'string') {
        throw invalidRequest('token id inputs are not supported: send text', 'input', 'token_input_unsupported');
      }
      if (input.startsWith('data:')) hasImage = true;
    }
    const texts = inputs as string[];
    if (texts.length > limits.maxEmbeddingInputs) {
      throw invalidRequest(`at most ${limits.maxEmbeddingInputs} inputs per request`, 'input', 'too_many_inputs');
    }
    // Texts only poll for a disconnect (no signal to make); images reach the model with a real signal.
    const { vectors, tokens } = hasImage
      ? await embedWithImages(services, body.model, texts, requestSignal(c))
      : await embedTextsBatched(services, body.model, texts, c.get('cancellation'));
    const native = vectors[0]?.length ?? 0;
    const wanted = body.dimensions ?? native;
    if (wanted > native) {
      throw invalidRequest(
        `the model '${body.model}' gives ${native} dimensions; dimensions must be at most ${native}`,
        'dimensions',
        'dimensions_unsupported',
      );
    }
    const answered = wanted < native ? vectors.map((vector) => shortened(vector, wanted)) : vectors;
    return c.body(embeddingsJson(answered, body.encoding_format === 'base64', body.model, tokens), 200, JSON_HEADERS);
  });

  return app;
}

async function embedTextsBatched(
  services: ServerServices,
  model: string,
  texts: string[],
  cancellation: CancellationCheck,
): Promise<{ vectors: Float32Array[]; tokens: number }> {
  for (let index = 0; index < texts.length; index++) checkTextLength(texts[index]!, index, services.limits);
  return services.embeddingBatcher.embedTexts(model, texts, cancellation);
}

async function embedWithImages(
  services: ServerServices,
  model: string,
  inputs: string[],
  signal: AbortSignal,
): Promise<{ vectors: Float32Array[]; tokens: number }> {
  const lease = await services.models.acquire('embeddings', model, signal);
  try {
    return await embedInOrder(lease.model, inputs, services.limits, signal, model);
  } finally {
    lease.release();
  }
}

/**
 * The first `dimensions` components, scaled back to unit length: what OpenAI's `dimensions` and
 * sentence-transformers' `truncate_dim` give. It keeps the meaning for models trained for it
 * (Matryoshka: nomic-embed v1.5, mxbai-embed, text-embedding-3) and loses some for others.
 */
export function shortened(vector: Float32Array, dimensions: number): Float32Array {
  const kept = vector.slice(0, dimensions);
  let sum = 0;
  for (const value of kept) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let index = 0; index < kept.length; index++) kept[index]! /= norm;
  return kept;
}

/** One plain header object (Hono and the Node adapter only read it): the adapter's fast path. */
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * The answer's JSON written straight into one string: no per-vector arrays of numbers and no object
 * tree to walk. The same text `JSON.stringify` gives for the object (a test compares them).
 */
export function embeddingsJson(vectors: Float32Array[], base64: boolean, model: string, tokens: number): string {
  let data = '';
  for (const [index, vector] of vectors.entries()) {
    const embedding = base64
      ? `"${Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')}"`
      : floatArrayJson(vector);
    data += `${index === 0 ? '' : ','}{"object":"embedding","index":${index},"embedding":${embedding}}`;
  }
  const usage = `{"prompt_tokens":${tokens},"total_tokens":${tokens}}`;
  return `{"object":"list","data":[${data}],"model":${JSON.stringify(model)},"usage":${usage}}`;
}

function floatArrayJson(vector: Float32Array): string {
  // A loop of string additions is a few times faster than `join` on a typed array. `NaN` and
  // `Infinity` are not JSON (stringify writes null): the rare vector holding one takes the slow way.
  let text = '[';
  for (let index = 0; index < vector.length; index++) {
    const value = vector[index]!;
    if (!Number.isFinite(value)) return JSON.stringify(Array.from(vector));
    text += index === 0 ? `${value}` : `,${value}`;
  }
  return `${text}]`;
}

function checkTextLength(input: string, index: number, limits: ServerLimits): void {
  if (input.length > limits.maxEmbeddingInputChars) {
    throw invalidRequest(
      `input ${index} has ${input.length} characters, over the limit of ${limits.maxEmbeddingInputChars}`,
      `input.${index}`,
      'input_too_long',
    );
  }
}

/** Texts in one batch and images in another, put back in the order the client sent them. */
async function embedInOrder(
  model: EmbeddingModel,
  inputs: string[],
  limits: ServerLimits,
  signal: AbortSignal,
  name: string,
): Promise<{ vectors: Float32Array[]; tokens: number }> {
  const textIndexes: number[] = [];
  const imageIndexes: number[] = [];
  const images: Uint8Array[] = [];
  for (const [index, input] of inputs.entries()) {
    if (!input.startsWith('data:')) {
      checkTextLength(input, index, limits);
      textIndexes.push(index);
      continue;
    }
    if (!model.embedImages) {
      throw invalidRequest(
        `the model '${name}' embeds text only; input ${index} is a data URL`,
        `input.${index}`,
        'images_not_supported',
      );
    }
    const param = `input.${index}`;
    const bytes = await imageUrlBytes(input, {
      maxBytes: limits.remoteImageBytes,
      timeoutMs: limits.remoteImageTimeoutMs,
      allowRemote: false,
      param,
    });
    images.push((await acceptImage(bytes, { maxPixels: limits.maxPixels, param, unknownFormatStatus: 400 })).bytes);
    imageIndexes.push(index);
  }
  const vectors: Float32Array[] = new Array(inputs.length);
  let tokens = 0;
  if (textIndexes.length > 0) {
    const result = await model.embedTexts(
      textIndexes.map((index) => inputs[index]!),
      { signal },
    );
    textIndexes.forEach((index, position) => {
      vectors[index] = result.embeddings[position]!;
    });
    tokens += result.usage.tokens;
  }
  if (imageIndexes.length > 0 && model.embedImages) {
    const result = await model.embedImages(images, { signal });
    imageIndexes.forEach((index, position) => {
      vectors[index] = result.embeddings[position]!;
    });
    tokens += result.usage.tokens;
  }
  return { vectors, tokens };
}
