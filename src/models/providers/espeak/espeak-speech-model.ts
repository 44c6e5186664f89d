/**
 * The offline default voice: espeak-ng (npm WASM build), no model download. Mixed Chinese/English
 * text is split into language runs, each spoken by its voice (`cmn`, `en-us`) with a short pause
 * between runs; a `voice` option speaks everything with that one voice instead. Long text is
 * synthesised in batches of sentences.
 */
import { MmkitError } from '../../../errors.ts';
import { resample } from '../../../preprocess/audio/resample.ts';
import { decodeWav } from '../../../preprocess/audio/wav.ts';
import { splitSentences } from '../../../preprocess/text/sentences.ts';
import type { ModelDescription } from '../../spec/common.ts';
import type { SpeechModel, SpeechRequest, SpeechResult } from '../../spec/speech-model.ts';
import { runEspeak } from './espeak-runtime.ts';
import { runsToSsml } from './ssml.ts';
import { type LanguageRun, type RunLanguage, splitLanguageRuns } from './text-runs.ts';
import {
  DEFAULT_WORDS_PER_MINUTE,
  ESPEAK_SAMPLE_RATE,
  ESPEAK_VOICES,
  MAX_WORDS_PER_MINUTE,
  MIN_WORDS_PER_MINUTE,
} from './voices.ts';

export interface EspeakSpeechRequest extends SpeechRequest {
  /** Output rate in Hz; espeak's own 22050 when absent. */
  sampleRate?: number;
}

export interface EspeakSpeechModelOptions {
  /** Silence between language runs, in milliseconds. */
  runPauseMs?: number;
  /** Characters per espeak call; longer text is cut at sentence ends into several calls. */
  batchCharacters?: number;
}

export const MIN_SPEED = MIN_WORDS_PER_MINUTE / DEFAULT_WORDS_PER_MINUTE;
export const MAX_SPEED = MAX_WORDS_PER_MINUTE / DEFAULT_WORDS_PER_MINUTE;

export class EspeakSpeechModel implements SpeechModel {
  readonly description: ModelDescription = { id: 'espeak:espeak-ng', provider: 'espeak' };
  readonly voices = ESPEAK_VOICES;
  readonly sampleRate = ESPEAK_SAMPLE_RATE;
  private readonly runPauseMs: number;
  private readonly batchCharacters: number;

  constructor(options: EspeakSpeechModelOptions = {}) {
    this.runPauseMs = options.runPauseMs ?? 120;
    this.batchCharacters = options.batchCharacters ?? 1000;
  }

  async synthesize(request: EspeakSpeechRequest): Promise<SpeechResult> {
    const started = performance.now();
    const wordsPerMinute = this.wordsPerMinute(request.speed);
    if (request.voice !== undefined && !this.voices.includes(request.voice)) {
      throw new MmkitError(`unknown espeak voice "${request.voice}"; voices: ${this.voices.join(', ')}`, {
        code: 'unknown_voice',
        param: 'voice',
      });
    }
    if (request.sampleRate !== undefined && !(Number.isInteger(request.sampleRate) && request.sampleRate >= 1000)) {
      throw new MmkitError(`sampleRate must be an integer of at least 1000 Hz, got ${request.sampleRate}`, {
        code: 'invalid_sample_rate',
        param: 'sampleRate',
      });
    }
    const batches = this.batches(request);
    if (batches.length === 0) {
      throw new MmkitError('text to speak is empty', { code: 'empty_text', param: 'text' });
    }

    const pieces: Float32Array[] = [];
    let firstOutputMs: number | undefined;
    for (const batch of batches) {
      if (request.signal?.aborted) throw abortError(request.signal);
      const args = ['-s', String(wordsPerMinute), '-w', '/output.wav', '-f', '/input.txt'];
      const { wav } = await runEspeak(
        request.voice === undefined ? ['-m', ...args] : ['-v', request.voice, ...args],
        request.voice === undefined ? runsToSsml(batch.runs, this.runPauseMs) : batch.plain,
      );
      const decoded = wav === undefined ? null : decodeWav(wav, 'espeak output');
      if (decoded === null) {
        throw new MmkitError('espeak-ng wrote no audio', { code: 'speech_engine_failed', type: 'runtime_error' });
      }
      pieces.push(decoded.samples);
      firstOutputMs ??= performance.now() - started;
      // Let other work run between batches: each espeak call blocks the thread while it runs.
      await new Promise((resolve) => setImmediate(resolve));
    }

    let samples = concatenate(pieces);
    const sampleRate = request.sampleRate ?? ESPEAK_SAMPLE_RATE;
    if (sampleRate !== ESPEAK_SAMPLE_RATE) samples = resample(samples, ESPEAK_SAMPLE_RATE, sampleRate);
    return { samples, sampleRate, timings: { totalMs: performance.now() - started, firstOutputMs } };
  }

  private wordsPerMinute(speed: number | undefined): number {
    if (speed === undefined) return DEFAULT_WORDS_PER_MINUTE;
    if (!(Number.isFinite(speed) && speed >= MIN_SPEED - 1e-9 && speed <= MAX_SPEED + 1e-9)) {
      throw new MmkitError(`speed must be between ${MIN_SPEED.toFixed(2)} and ${MAX_SPEED.toFixed(2)}, got ${speed}`, {
        code: 'invalid_speed',
        param: 'speed',
      });
    }
    return Math.round(Math.min(MAX_WORDS_PER_MINUTE, Math.max(MIN_WORDS_PER_MINUTE, speed * DEFAULT_WORDS_PER_MINUTE)));
  }

  /** Sentences grouped into batches of about `batchCharacters`; each batch is one espeak call. */
  private batches(request: EspeakSpeechRequest): Array<{ runs: LanguageRun[]; plain: string }> {
    const fallback: RunLanguage = /^(zh|cmn)/i.test(request.language ?? '') ? 'zh' : 'en';
    const batches: Array<{ runs: LanguageRun[]; plain: string }> = [];
    let current: LanguageRun[] = [];
    let size = 0;
    for (const sentence of splitSentences(request.text, { maxCharacters: 400 })) {
      if (size > 0 && size + sentence.length > this.batchCharacters) {
        batches.push({ runs: current, plain: current.map((run) => run.text).join(' ') });
        current = [];
        size = 0;
      }
      const runs =
        request.voice === undefined ? splitLanguageRuns(sentence, fallback) : [{ language: fallback, text: sentence }];
      // Consecutive sentences in the same language stay one run, so pauses fall only at language changes.
      for (const run of runs) {
        const last = current.at(-1);
        if (last !== undefined && last.language === run.language) last.text += ` ${run.text}`;
        else current.push({ ...run });
      }
      size += sentence.length;
    }
    if (current.length > 0) batches.push({ runs: current, plain: current.map((run) => run.text).join(' ') });
    return batches;
  }
}

function concatenate(pieces: Float32Array[]): Float32Array {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new DOMException('speech synthesis was cancelled', 'AbortError');
}
