/**
 * `TranscriptionModel` over `POST {baseURL}/audio/transcriptions` (and `/audio/translations` for the
 * translate task): the samples go up as a 16-bit WAV file in a multipart form, segments and words
 * come back in `verbose_json`.
 */
import { MmkitError } from '../../../errors.ts';
import { encodeWav } from '../../../media/wav.ts';
import type {
  ModelDescription,
  TimedWord,
  TranscriptionModel,
  TranscriptionRequest,
  TranscriptionResult,
  TranscriptionSegment,
} from '../../spec/index.ts';
import { type OpenAiConnection, postJson } from './http-client.ts';
import type { ResolvedOpenAiTranscriptionOptions } from './options.ts';
import { languageCode } from './whisper-languages.ts';
import { parseWire, transcriptionSchema } from './wire-schemas.ts';

export class OpenAiTranscriptionModel implements TranscriptionModel {
  readonly description: ModelDescription;

  constructor(
    private readonly connection: OpenAiConnection,
    readonly modelName: string,
    private readonly options: ResolvedOpenAiTranscriptionOptions,
    id: string,
  ) {
    this.description = { id, provider: 'openai' };
  }

  async transcribe(request: TranscriptionRequest): Promise<TranscriptionResult> {
    const started = performance.now();
    if (!Number.isInteger(request.sampleRate) || request.sampleRate <= 0) {
      throw new MmkitError(`transcription: invalid sample rate ${request.sampleRate}`, {
        code: 'invalid_audio',
        param: 'sampleRate',
      });
    }
    const translate = request.task === 'translate';
    const form = new FormData();
    const wav = encodeWav(request.samples, request.sampleRate);
    form.append('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'audio.wav');
    form.append('model', this.modelName);
    // The translations endpoint always answers in English and takes no language.
    if (!translate && request.language && request.language !== 'auto') form.append('language', request.language);
    if (request.prompt) form.append('prompt', request.prompt);
    form.append('response_format', this.options.responseFormat);
    if (this.options.responseFormat === 'verbose_json' && !translate) {
      form.append('timestamp_granularities[]', 'segment');
      if (request.wordTimestamps) form.append('timestamp_granularities[]', 'word');
    }
    const { value, url } = await postJson(
      this.connection,
      translate ? '/audio/translations' : '/audio/transcriptions',
      { form },
      { model: this.modelName, signal: request.signal },
    );
    const answer = parseWire(transcriptionSchema, value, url);
    const durationSeconds = answer.duration ?? request.samples.length / request.sampleRate;
    const text = answer.text.trim();
    const segments: TranscriptionSegment[] = answer.segments?.length
      ? answer.segments.map((segment, index) => ({
          id: segment.id ?? index,
          start: segment.start,
          end: segment.end,
          text: segment.text.trim(),
        }))
      : text === ''
        ? []
        : [{ id: 0, start: 0, end: durationSeconds, text }];
    if (request.wordTimestamps && answer.words?.length) assignWords(segments, answer.words);
    return {
      text,
      language: reportedLanguage(answer.language, request, translate),
      durationSeconds,
      segments,
      timings: { totalMs: performance.now() - started },
    };
  }
}

function reportedLanguage(reported: string | null | undefined, request: TranscriptionRequest, translate: boolean) {
  if (reported) return languageCode(reported);
  if (translate) return 'en';
  return request.language && request.language !== 'auto' ? request.language : 'unknown';
}

/** OpenAI lists words apart from segments; each word goes to the segment its start falls in. */
function assignWords(segments: TranscriptionSegment[], words: TimedWord[]): void {
  for (const segment of segments) segment.words = [];
  for (const word of words) {
    const timed = { word: word.word.trim(), start: word.start, end: word.end };
    const owner =
      segments.find((segment) => word.start >= segment.start && word.start < segment.end) ??
      segments.findLast((segment) => segment.start <= word.start) ??
      segments[0];
    owner?.words?.push(timed);
  }
}
