/**
 * `transcribe`: speech in any format and of any length → text with timed segments (the seed's
 * speech recognition step: Whisper, forced language `zh`, task transcribe). The audio is decoded and
 * resampled to 16 kHz by our own loader, cut into overlapping 30 s windows, each window is
 * transcribed by the model, and the windows are merged without repeating the overlap. With
 * `language: 'auto'` the first window's detected language is used for every later one, so a long
 * recording is not transcribed in two languages.
 */
import { MmkitError } from '../../errors.ts';
import type { TranscriptionModel, TranscriptionResult, TranscriptionSegment } from '../../models/spec/index.ts';
import { audioError } from '../../preprocess/audio/errors.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { mergeWindowTranscripts, settledText, type WindowTranscript } from './merge.ts';
import { planWindows } from './windows.ts';

export const TRANSCRIBE_SAMPLE_RATE = 16000;
export const DEFAULT_MAX_SECONDS = 3600;
/** Peak below which audio counts as silent (−80 dBFS). */
const SILENCE_PEAK = 1e-4;

export type TranscribeTask = 'transcribe' | 'translate';

export interface TranscribeOptions {
  /** A file path, the file's bytes, or 16 kHz mono samples. */
  audio: string | Uint8Array | Float32Array;
  model: TranscriptionModel;
  /** An ISO 639-1 code, or `auto` to detect it (default `zh`, as in the seed). */
  language?: string;
  task?: TranscribeTask;
  /** Text that conditions the decoder (names, spelling), given to every window. */
  prompt?: string;
  /** Refuse longer audio (default 3600 s). */
  maxSeconds?: number;
  signal?: AbortSignal;
  /** Names the audio in error messages (default: the path, or "audio"). */
  name?: string;
  wordTimestamps?: boolean;
  /** Window length and overlap on each side (default 30 s and 5 s). */
  windowSeconds?: number;
  strideSeconds?: number;
  /** Called after each window with the windows done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Called after each window with the transcript's text so far that later windows cannot change
   * (each call's text starts with the previous call's; the last call's is the whole text).
   */
  onSettledText?: (text: string) => void;
}

export interface TranscribeSegment extends TranscriptionSegment {
  /** Where the window this segment was heard in starts, in 10 ms frames (OpenAI's `seek`). */
  seek: number;
}

export interface TranscribeResult extends TranscriptionResult {
  task: TranscribeTask;
  segments: TranscribeSegment[];
}

export async function transcribe(options: TranscribeOptions): Promise<TranscribeResult> {
  const started = performance.now();
  const { model, signal, prompt, wordTimestamps } = options;
  const task = checkTask(options.task ?? 'transcribe');
  let language = checkLanguage(options.language ?? 'zh');
  const maxSeconds = options.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const name = options.name ?? (typeof options.audio === 'string' ? options.audio : 'audio');
  const samples = await loadSpeech(options.audio, { name, maxSeconds, signal });
  if (isSilent(samples)) {
    // Nothing to hear: an empty transcript, as OpenAI answers, without asking a model that would
    // make words up (Whisper "hears" thank-yous in silence).
    return {
      task,
      text: '',
      language: language === 'auto' ? 'und' : language,
      durationSeconds: samples.length / TRANSCRIBE_SAMPLE_RATE,
      segments: [],
      timings: { totalMs: performance.now() - started },
    };
  }
  const windows = planWindows(samples.length, TRANSCRIBE_SAMPLE_RATE, {
    windowSeconds: options.windowSeconds,
    strideSeconds: options.strideSeconds,
  });
  const transcripts: WindowTranscript[] = [];
  let firstOutputMs: number | undefined;
  for (const window of windows) {
    signal?.throwIfAborted();
    const result = await model.transcribe({
      samples: samples.subarray(window.startSample, window.endSample),
      sampleRate: TRANSCRIBE_SAMPLE_RATE,
      language,
      task,
      ...(prompt ? { prompt } : {}),
      ...(wordTimestamps ? { wordTimestamps } : {}),
      ...(signal ? { signal } : {}),
    });
    firstOutputMs ??= performance.now() - started;
    if (language === 'auto') language = result.language;
    transcripts.push({ start: window.start, end: window.end, segments: shiftSegments(result.segments, window.start) });
    options.onProgress?.(window.index + 1, windows.length);
    options.onSettledText?.(settledText(transcripts, windows[window.index + 1]?.start));
  }
  const merged = mergeWindowTranscripts(transcripts);
  return {
    task,
    text: merged.text,
    language,
    durationSeconds: samples.length / TRANSCRIBE_SAMPLE_RATE,
    segments: merged.segments.map(({ window, ...segment }) => ({
      ...segment,
      seek: Math.round(windows[window].start * 100),
    })),
    timings: { totalMs: performance.now() - started, ...(firstOutputMs === undefined ? {} : { firstOutputMs }) },
  };
}

/**
 * The checks and decoding `transcribe` does before any model runs: 16 kHz mono samples, refused
 * when empty or longer than `maxSeconds`. Exported so callers can fail fast before
 * loading a model.
 */
export async function loadSpeech(
  audio: TranscribeOptions['audio'],
  options: { name?: string; maxSeconds?: number; signal?: AbortSignal } = {},
): Promise<Float32Array> {
  const name = options.name ?? (typeof audio === 'string' ? audio : 'audio');
  const { maxSeconds = DEFAULT_MAX_SECONDS, signal } = options;
  let samples: Float32Array;
  if (audio instanceof Float32Array) {
    if (audio.length === 0) throw audioError(name, 'contains no audio', 'audio_empty');
    const seconds = audio.length / TRANSCRIBE_SAMPLE_RATE;
    if (seconds > maxSeconds) {
      throw audioError(
        name,
        `audio is ${seconds.toFixed(1)} s long, over the limit of ${maxSeconds} s`,
        'audio_too_long',
      );
    }
    samples = audio;
  } else {
    const loaded = await loadAudio(audio, { sampleRate: TRANSCRIBE_SAMPLE_RATE, maxSeconds, name, signal });
    samples = loaded.samples;
  }
  return samples;
}

/** Digital silence: nothing above −80 dBFS. */
export function isSilent(samples: Float32Array): boolean {
  let peak = 0;
  for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
  return !(peak > SILENCE_PEAK);
}

function shiftSegments(segments: readonly TranscriptionSegment[], offset: number): TranscriptionSegment[] {
  return segments.map((segment) => ({
    ...segment,
    start: segment.start + offset,
    end: segment.end + offset,
    ...(segment.words
      ? { words: segment.words.map((word) => ({ ...word, start: word.start + offset, end: word.end + offset })) }
      : {}),
  }));
}

function checkTask(task: string): TranscribeTask {
  if (task === 'transcribe' || task === 'translate') return task;
  throw new MmkitError(`task must be transcribe or translate, got "${task}"`, { code: 'invalid_task', param: 'task' });
}

function checkLanguage(language: string): string {
  const code = language.trim().toLowerCase();
  if (code === 'auto' || /^[a-z]{2,3}$/.test(code)) return code;
  throw new MmkitError(`language must be auto or a language code such as zh or en, got "${language}"`, {
    code: 'invalid_language',
    param: 'language',
  });
}
