/** Speech to text: 16 kHz mono samples in, text with timed segments out. */
import type { CallOptions, ModelDescription, Timings } from './common.ts';

export interface TranscriptionRequest extends CallOptions {
  /** Mono float samples at `sampleRate` (tasks decode and resample before calling). */
  samples: Float32Array;
  sampleRate: number;
  /** An ISO 639-1 code such as `zh`, or `auto` to detect it. */
  language: string;
  task: 'transcribe' | 'translate';
  /** Text that conditions the decoder (names, spelling). */
  prompt?: string;
  wordTimestamps?: boolean;
}

export interface TimedWord {
  word: string;
  start: number;
  end: number;
}

export interface TranscriptionSegment {
  id: number;
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  words?: TimedWord[];
}

export interface TranscriptionResult {
  text: string;
  language: string;
  durationSeconds: number;
  segments: TranscriptionSegment[];
  timings: Timings;
}

export interface TranscriptionModel {
  readonly description: ModelDescription;
  transcribe(request: TranscriptionRequest): Promise<TranscriptionResult>;
}
