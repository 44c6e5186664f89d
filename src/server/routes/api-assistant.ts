/**
 * `POST /api/assistant` (docs/http-api.md): the seed's voice assistant over the `assistant` task.
 * Speech (an audio file) or text in; events out: `transcript`, a reasoning model's `thinking`
 * (shown, not spoken), `delta`s of the answer, one `audio` WAV per spoken sentence (saved under
 * /outputs as soon as it is ready, so the page can play it at once), then `done` with the whole
 * answer's WAV.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { encodeWav } from '../../media/wav.ts';
import { sniffAudioContainer } from '../../preprocess/audio/sniff.ts';
import { type AssistantEvent, assistant, DEFAULT_MAX_AUDIO_SECONDS } from '../../tasks/assistant/index.ts';
import { invalidRequest, unsupportedMediaType } from '../http-errors.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ModelLease } from '../model-service.ts';
import { formField, formFile, readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream } from '../sse/event-stream.ts';
import { NO_CONTROL_CHARACTERS, parseWith } from '../validation.ts';

const FORM_OVERHEAD_BYTES = 64 * 1024;
const FIELDS = ['input_type', 'text', 'language', 'voice'];

const assistantFieldsSchema = z.strictObject({
  input_type: z.enum(['speech', 'text']).optional(),
  text: z.string().regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters').optional(),
  language: z
    .string()
    .regex(/^([a-z]{2,3}|auto)$/, 'must be an ISO 639-1 code such as zh or en, or auto')
    .optional(),
  voice: z.string().min(1).max(64).regex(NO_CONTROL_CHARACTERS).optional(),
});

export function apiAssistantRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/api/assistant', limitBody(limits.audioUploadBytes + FORM_OVERHEAD_BYTES), async (c) => {
    const form = await readMultipart(c);
    for (const name of form.fields.keys()) {
      if (!FIELDS.includes(name)) throw invalidRequest(`unknown form field '${name}'`, name, 'unknown_parameter');
    }
    const raw: Record<string, string> = {};
    for (const name of FIELDS) {
      const value = formField(form, name);
      if (value !== undefined) raw[name] = value;
    }
    const fields = parseWith(assistantFieldsSchema, raw);
    const inputType = fields.input_type ?? (form.files.has('audio') ? 'speech' : 'text');
    let audio: Uint8Array | undefined;
    let text: string | undefined;
    if (inputType === 'speech') {
      if (fields.text !== undefined) throw invalidRequest('speech input takes an audio file, not text', 'text');
      audio = (await formFile(form, 'audio')).bytes;
      if (audio.length === 0) throw invalidRequest('audio is empty (0 bytes)', 'audio', 'audio_empty');
      if (audio.length > limits.audioUploadBytes) {
        throw invalidRequest(`audio is over ${limits.audioUploadBytes} bytes`, 'audio', 'audio_too_large');
      }
      if (sniffAudioContainer(audio.subarray(0, 64)) === null) {
        throw unsupportedMediaType(
          'audio: not a recognised audio format, judged by its content (WAV, MP3, Ogg, FLAC, WebM, M4A/AAC)',
          'audio',
        );
      }
    } else {
      if (form.files.has('audio')) throw invalidRequest('text input takes text, not an audio file', 'audio');
      text = fields.text?.trim() ?? '';
      if (text === '') throw invalidRequest("missing required form field 'text'", 'text', 'missing_parameter');
      if (text.length > limits.maxQuestionChars) {
        throw invalidRequest(
          `text has ${text.length} characters, over the limit of ${limits.maxQuestionChars}`,
          'text',
          'prompt_too_long',
        );
      }
    }

    const signal = requestSignal(c);
    const leases: ModelLease<'transcription' | 'chat' | 'speech'>[] = [];
    const releaseAll = () => {
      for (const lease of leases.splice(0)) lease.release();
    };
    let transcriber: ModelLease<'transcription'> | undefined;
    let chatModel: ModelLease<'chat'>;
    let speechModel: ModelLease<'speech'>;
    try {
      if (inputType === 'speech') {
        transcriber = await services.models.acquire('transcription', undefined, signal);
        leases.push(transcriber);
      }
      chatModel = await services.models.acquire('chat', undefined, signal);
      leases.push(chatModel);
      speechModel = await services.models.acquire('speech', undefined, signal);
      leases.push(speechModel);
      if (fields.voice !== undefined && !speechModel.model.voices.includes(fields.voice)) {
        throw invalidRequest(
          `unknown voice '${fields.voice}'; voices: ${speechModel.model.voices.slice(0, 20).join(', ')}`,
          'voice',
          'voice_unknown',
        );
      }
    } catch (error) {
      releaseAll();
      throw error;
    }

    return eventStream(
      c,
      services,
      async (send, streamSignal) => {
        const scratch = join(services.files.folder('outputs'), `.assistant-${randomBytes(8).toString('hex')}`);
        await mkdir(scratch);
        let sent = Promise.resolve();
        let failure: unknown;
        // The task reports synchronously; events (and the sentence WAVs) go out in order.
        const onEvent = (event: AssistantEvent) => {
          sent = sent
            .then(() => forward(event))
            .catch((error: unknown) => {
              failure ??= error;
            });
        };
        const forward = async (event: AssistantEvent) => {
          if (event.type === 'transcript') await send('transcript', { text: event.text });
          else if (event.type === 'text-delta') await send('delta', { text: event.text });
          else if (event.type === 'reasoning-delta') await send('thinking', { text: event.text });
          else if (event.type === 'audio-chunk') {
            const wav = encodeWav(event.samples, event.sampleRate);
            const file = await services.files.save('outputs', wav, 'wav', { kind: 'assistant-sentence' });
            await send('audio', {
              index: event.index,
              url: file.url,
              seconds: event.samples.length / event.sampleRate,
            });
          }
        };
        try {
          const result = await assistant(
            { type: inputType, ...(audio ? { audio } : {}), ...(text !== undefined ? { text } : {}) },
            {
              ...(transcriber ? { transcriber: transcriber.model } : {}),
              chatModel: chatModel.model,
              speechModel: speechModel.model,
              outDir: scratch,
              ...(fields.voice ? { voice: fields.voice } : {}),
              ...(fields.language ? { language: fields.language } : {}),
              maxAudioSeconds: Math.min(DEFAULT_MAX_AUDIO_SECONDS, limits.maxAudioSeconds),
              audioName: 'audio',
              signal: streamSignal,
              onEvent,
            },
          );
          await sent;
          if (failure) throw failure;
          const whole = await services.files.save('outputs', await readFile(result.audioPath), 'wav', {
            kind: 'assistant-answer',
          });
          await send('done', {
            input_type: result.inputType,
            ...(result.transcript === undefined ? {} : { transcript: result.transcript }),
            answer: result.answer,
            ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
            audio_url: whole.url,
            timings: result.timings,
          });
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      },
      releaseAll,
    );
  });

  return app;
}
