/**
 * `POST /v1/audio/speech`: `input` (≤ 4096 characters), `voice`, `response_format` mp3 | opus |
 * aac | flac (ffmpeg) | wav | pcm (16-bit little-endian mono at the model's rate, given in
 * `X-Sample-Rate`), `speed`. The audio is sent as a stream of chunks. `SpeechModel` synthesizes whole utterances today; when the `say` task
 * streams sentence by sentence, `synthesizeSpeech` below is the one place to swap.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { encodeWav } from '../../media/wav.ts';
import type { SpeechModel, SpeechResult } from '../../models/spec/index.ts';
import { AUDIO_MEDIA_TYPES, COMPRESSED_AUDIO_FORMATS, encodeWithFfmpeg } from '../../preprocess/audio/ffmpeg-encode.ts';
import { invalidRequest } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { NO_CONTROL_CHARACTERS, parseWith, readJsonBody } from '../validation.ts';

/** OpenAI's voice names: clients send one of these; they mean the model's default voice here. */
const OPENAI_VOICES = new Set([
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
]);
const CHUNK_BYTES = 64 * 1024;

const speechSchema = z.looseObject({
  model: modelName,
  input: z
    .string()
    .min(1, 'must not be empty')
    .regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters'),
  voice: z.string().min(1).max(64).regex(NO_CONTROL_CHARACTERS).nullish(),
  response_format: z
    .enum(['wav', 'pcm', ...COMPRESSED_AUDIO_FORMATS], { error: 'must be mp3, opus, aac, flac, wav or pcm' })
    .nullish(),
  speed: z.number().min(0.25).max(4).nullish(),
});

export function audioSpeechRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/v1/audio/speech', async (c) => {
    const body = parseWith(speechSchema, await readJsonBody(c, limits.jsonBodyBytes));
    if (body.input.length > limits.maxSpeechChars) {
      throw invalidRequest(
        `input has ${body.input.length} characters, over the limit of ${limits.maxSpeechChars}`,
        'input',
        'input_too_long',
      );
    }
    const signal = requestSignal(c);
    const lease = await services.models.acquire('speech', body.model, signal);
    let result: SpeechResult;
    try {
      result = await synthesizeSpeech(
        lease.model,
        body.input,
        body.voice ?? undefined,
        body.speed ?? undefined,
        signal,
      );
    } finally {
      lease.release();
    }
    // OpenAI's default.
    const format = body.response_format ?? 'mp3';
    const { samples, sampleRate } = result;
    const [bytes, mediaType] =
      format === 'wav'
        ? [encodeWav(samples, sampleRate), 'audio/wav']
        : format === 'pcm'
          ? [pcm16(samples), `audio/pcm;rate=${sampleRate}`]
          : [await encodeWithFfmpeg(samples, sampleRate, format, signal), AUDIO_MEDIA_TYPES[format]];
    return c.body(chunked(bytes), 200, { 'Content-Type': mediaType, 'X-Sample-Rate': String(sampleRate) });
  });

  return app;
}

async function synthesizeSpeech(
  model: SpeechModel,
  text: string,
  voice: string | undefined,
  speed: number | undefined,
  signal: AbortSignal,
): Promise<SpeechResult> {
  let chosen: string | undefined;
  if (voice !== undefined && model.voices.includes(voice)) chosen = voice;
  else if (voice !== undefined && !OPENAI_VOICES.has(voice)) {
    throw invalidRequest(
      `unknown voice '${voice}'; this model's voices: ${model.voices.slice(0, 20).join(', ')}…`,
      'voice',
      'voice_unknown',
    );
  }
  return model.synthesize({ text, ...(chosen ? { voice: chosen } : {}), ...(speed ? { speed } : {}), signal });
}

function pcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(value < 0 ? Math.round(value * 32768) : Math.round(value * 32767), i * 2);
  }
  return out;
}

function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + CHUNK_BYTES));
      offset += CHUNK_BYTES;
    },
  });
}
