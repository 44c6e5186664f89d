/**
 * `POST /v1/audio/speech`: `input` (≤ 4096 characters), `voice`, `response_format` mp3 | opus |
 * aac | flac (ffmpeg) | wav | pcm (16-bit little-endian mono at the model's rate, given in
 * `X-Sample-Rate`), `speed`, `stream_format` audio | sse. The text is spoken sentence by sentence
 * and sent as it is made, so the first sentence plays while the rest is synthesized; a client that
 * goes away stops the synthesis.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { encodeWav } from '../../media/wav.ts';
import type { SpeechModel } from '../../models/spec/index.ts';
import {
  AUDIO_MEDIA_TYPES,
  COMPRESSED_AUDIO_FORMATS,
  encodeStreamWithFfmpeg,
} from '../../preprocess/audio/ffmpeg-encode.ts';
import { type SpokenSentence, speakSentences } from '../../tasks/say/index.ts';
import { invalidRequest, mapError } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import { streamAnswer } from '../openai/stream-answer.ts';
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
  // OpenAI's: the audio itself (the default), or server-sent events carrying it in base64 pieces.
  stream_format: z.enum(['audio', 'sse'], { error: 'must be audio or sse' }).nullish(),
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
    let sentences: AsyncGenerator<SpokenSentence>;
    let first: IteratorResult<SpokenSentence>;
    try {
      const voice = voiceOf(lease.model, body.voice ?? undefined);
      sentences = speakSentences({
        model: lease.model,
        text: body.input,
        ...(voice ? { voice } : {}),
        ...(body.speed ? { speed: body.speed } : {}),
        signal,
      });
      // The first sentence before the answer starts: a failure still gets its status.
      first = await sentences.next();
    } catch (error) {
      lease.release();
      throw error;
    }
    const sampleRate = first.done ? 0 : first.value.sampleRate;
    // OpenAI's default.
    const format = body.response_format ?? 'mp3';
    const samples = synthesizedAhead(first, sentences, () => lease.release());
    const audio = encodedAudio(samples, sampleRate, format, signal);
    if (body.stream_format === 'sse') {
      return streamAnswer(
        c,
        {
          services,
          signal,
          closeParts: () => audio.return(undefined),
          // The lease goes back when the synthesis ends, whatever the client's pace.
          release: () => {},
          ending: { failure: (error) => ({ data: error }) },
        },
        async (send) => {
          for await (const chunk of audio) {
            await send({ type: 'speech.audio.delta', audio: Buffer.from(chunk).toString('base64') });
          }
          // mmkit counts no speech tokens.
          await send({ type: 'speech.audio.done', usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } });
        },
      );
    }
    const mediaType =
      format === 'wav' ? 'audio/wav' : format === 'pcm' ? `audio/pcm;rate=${sampleRate}` : AUDIO_MEDIA_TYPES[format];
    return c.body(readableOf(audio, services, c.get('requestId')), 200, {
      'Content-Type': mediaType,
      'X-Sample-Rate': String(sampleRate),
    });
  });

  return app;
}

/** The model's voice a request names: one of its own, or an OpenAI name (its default voice). */
function voiceOf(model: SpeechModel, voice: string | undefined): string | undefined {
  if (voice === undefined || OPENAI_VOICES.has(voice)) return undefined;
  if (model.voices.includes(voice)) return voice;
  throw invalidRequest(
    `unknown voice '${voice}'; this model's voices: ${model.voices.slice(0, 20).join(', ')}…`,
    'voice',
    'voice_unknown',
  );
}

/**
 * The sentences' samples, synthesized as fast as the model goes whatever the client's pace (what is
 * not sent yet waits here: a 4096-character text is minutes of audio, megabytes), so the model goes
 * back to its queue (`done`) as soon as the text is spoken, not when a slow client has read it all.
 * A client that goes away stops the synthesis before the next sentence.
 */
function synthesizedAhead(
  first: IteratorResult<SpokenSentence>,
  rest: AsyncGenerator<SpokenSentence>,
  done: () => void,
): AsyncGenerator<Float32Array> {
  const ready: Float32Array[] = first.done ? [] : [first.value.samples];
  let finished = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  void (async () => {
    try {
      for await (const sentence of rest) {
        if (stopped) break;
        ready.push(sentence.samples);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      done();
      wake?.();
    }
  })();
  return (async function* () {
    try {
      for (;;) {
        const next = ready.shift();
        if (next) yield next;
        else if (failure) throw failure.error;
        else if (finished) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      stopped = true;
    }
  })();
}

/**
 * The answer's bytes as they are made: PCM and compressed formats sentence by sentence (ffmpeg
 * encodes while later sentences are synthesized); WAV once complete, since its header holds the length.
 */
async function* encodedAudio(
  samples: AsyncGenerator<Float32Array>,
  sampleRate: number,
  format: NonNullable<z.infer<typeof speechSchema>['response_format']>,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (format === 'pcm') {
    for await (const piece of samples) yield pcm16(piece);
  } else if (format === 'wav') {
    const pieces: Float32Array[] = [];
    for await (const piece of samples) pieces.push(piece);
    const all = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
    let offset = 0;
    for (const piece of pieces) {
      all.set(piece, offset);
      offset += piece.length;
    }
    const wav = encodeWav(all, sampleRate);
    for (let start = 0; start < wav.length; start += CHUNK_BYTES) yield wav.subarray(start, start + CHUNK_BYTES);
  } else {
    yield* encodeStreamWithFfmpeg(samples, sampleRate, format, signal);
  }
}

function pcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const value = Math.max(-1, Math.min(1, samples[i]!));
    out.writeInt16LE(value < 0 ? Math.round(value * 32768) : Math.round(value * 32767), i * 2);
  }
  return out;
}

/**
 * A response body pulling from `chunks`; a client that cancels ends them. A failure once bytes went
 * out can only cut the answer short; it is logged when it is our bug.
 */
function readableOf(
  chunks: AsyncGenerator<Uint8Array>,
  services: ServerServices,
  requestId: string,
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      } catch (error) {
        if (mapError(error, requestId).internal)
          services.log(`mmkit serve: speech of request ${requestId} failed: ${String(error)}`);
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined).catch(() => undefined);
    },
  });
}
