/** Text to speech: text in, mono PCM out. */
import type { CallOptions, ModelDescription, Timings } from './common.ts';

export interface SpeechRequest extends CallOptions {
  text: string;
  /** A voice from `voices`; the model's default when absent. */
  voice?: string;
  /** 1 is normal speed. */
  speed?: number;
  /** An ISO 639 code, when the caller knows the text's language. */
  language?: string;
}

export interface SpeechResult {
  samples: Float32Array;
  sampleRate: number;
  timings: Timings;
}

export interface SpeechModel {
  readonly description: ModelDescription;
  readonly voices: readonly string[];
  synthesize(request: SpeechRequest): Promise<SpeechResult>;
}
