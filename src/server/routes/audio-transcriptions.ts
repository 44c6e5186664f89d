/**
 * `POST /v1/audio/transcriptions`: OpenAI's multipart form (`file`, `model`, `language`, `prompt`,
 * `response_format`, `timestamp_granularities[]`); `POST /v1/audio/translations` takes the same form
 * and answers in English (Whisper's translate task; the source language is detected unless
 * `language` names it). The audio's container is sniffed from its bytes
 * (415 when it is not audio), decoded to 16 kHz mono with a duration limit, and handed to the
 * `transcribe` task (30 s windows for long audio); the task's `formatTranscript` shapes the answer.
 * With `stream=true` (json or text) the answer is OpenAI's streaming transcription: a
 * `transcript.text.delta` event after each window with the text no later window can change, then
 * `transcript.text.done` with the whole text; a client that disconnects stops the windows left.
 */
import { type Context, Hono } from 'hono';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { sniffAudioContainer } from '../../preprocess/audio/sniff.ts';
import {
  formatTranscript,
  TRANSCRIPT_FORMATS,
  type TranscribeTask,
  type TranscriptFormat,
  transcribe,
} from '../../tasks/transcribe/index.ts';
import { invalidRequest, unsupportedMediaType } from '../http-errors.ts';
import { limitBody } from '../middleware/body-limit.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { formField, formFieldList, formFile, readMultipart } from '../multipart.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { eventStream, orderedSends } from '../sse/event-stream.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';

const FORM_OVERHEAD_BYTES = 64 * 1024;
const SAMPLE_RATE = 16_000;
const MAX_PROMPT_CHARS = 2_000;
const CONTENT_TYPES: Record<TranscriptFormat, string> = {
  json: 'application/json; charset=utf-8',
  verbose_json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};

export function audioTranscriptionsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  const handler = (task: TranscribeTask) => async (c: Context<ServerEnv>) => {
    const form = await readMultipart(c);
    const model = checkedText(formField(form, 'model'), 'model', 256);
    const language = formField(form, 'language');
    if (language !== undefined && !/^([a-z]{2,3}|auto)$/.test(language)) {
      throw invalidRequest(`language must be an ISO 639-1 code such as zh or en, or auto`, 'language');
    }
    const prompt = checkedText(formField(form, 'prompt'), 'prompt', MAX_PROMPT_CHARS);
    const format = (formField(form, 'response_format') ?? 'json') as TranscriptFormat;
    if (!TRANSCRIPT_FORMATS.includes(format)) {
      throw invalidRequest(`response_format must be one of ${TRANSCRIPT_FORMATS.join(', ')}`, 'response_format');
    }
    const granularities = formFieldList(form, 'timestamp_granularities');
    for (const granularity of granularities) {
      if (granularity !== 'word' && granularity !== 'segment') {
        throw invalidRequest(`timestamp_granularities must be word or segment`, 'timestamp_granularities');
      }
    }
    if (granularities.length > 0 && format !== 'verbose_json') {
      throw invalidRequest('timestamp_granularities need response_format verbose_json', 'timestamp_granularities');
    }
    const stream = booleanField(formField(form, 'stream'), 'stream');
    if (stream && format !== 'json' && format !== 'text') {
      throw invalidRequest('stream=true gives text events: use response_format json or text', 'stream');
    }
    const { bytes } = await formFile(form, 'file');
    if (bytes.length === 0) throw invalidRequest('file is empty (0 bytes)', 'file', 'audio_empty');
    if (sniffAudioContainer(bytes.subarray(0, 64)) === null) {
      throw unsupportedMediaType(
        'file: not a recognised audio format, judged by its content (WAV, MP3, Ogg, FLAC, WebM, M4A/AAC)',
        'file',
      );
    }
    const signal = requestSignal(c);
    const audio = await loadAudio(bytes, {
      name: 'file',
      sampleRate: SAMPLE_RATE,
      maxSeconds: limits.maxAudioSeconds,
      signal,
    });
    const lease = await services.models.acquire('transcription', model, signal);
    const options = (workSignal: AbortSignal) => ({
      audio: audio.samples,
      model: lease.model,
      // For translations, OpenAI takes no language: detected unless the client names the source.
      language: language ?? 'auto',
      task,
      ...(prompt ? { prompt } : {}),
      maxSeconds: limits.maxAudioSeconds,
      wordTimestamps: granularities.includes('word'),
      name: 'file',
      signal: workSignal,
    });
    if (stream) {
      return eventStream(
        c,
        services,
        async (send, streamSignal) => {
          const sent = orderedSends();
          let text = '';
          const result = await transcribe({
            ...options(streamSignal),
            onSettledText: (settled) => {
              if (!settled.startsWith(text) || settled.length === text.length) return;
              const delta = settled.slice(text.length);
              text = settled;
              sent.queue(() => send('transcript.text.delta', { type: 'transcript.text.delta', delta }));
            },
          });
          await sent.done();
          await send('transcript.text.done', { type: 'transcript.text.done', text: result.text });
        },
        () => lease.release(),
      );
    }
    try {
      const result = await transcribe(options(signal));
      return c.body(formatTranscript(result, format), 200, { 'Content-Type': CONTENT_TYPES[format] });
    } finally {
      lease.release();
    }
  };

  const bodyLimit = limitBody(limits.audioUploadBytes + FORM_OVERHEAD_BYTES);
  app.post('/v1/audio/transcriptions', bodyLimit, handler('transcribe'));
  app.post('/v1/audio/translations', bodyLimit, handler('translate'));
  return app;
}

/** A multipart boolean as the SDKs send it: `true` / `false` (absent is false). */
function booleanField(value: string | undefined, name: string): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw invalidRequest(`${name} must be true or false`, name, 'invalid_parameter');
}

function checkedText(value: string | undefined, name: string, maxChars: number): string | undefined {
  if (value === undefined) return undefined;
  if (value.length > maxChars)
    throw invalidRequest(`${name} is over ${maxChars} characters`, name, 'invalid_parameter');
  if (!NO_CONTROL_CHARACTERS.test(value)) {
    throw invalidRequest(`${name} must not contain NUL or other control characters`, name, 'invalid_parameter');
  }
  return value;
}
