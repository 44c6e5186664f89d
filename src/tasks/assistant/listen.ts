/**
 * The assistant's ears: the question as audio → its text, through the transcribe task (any format,
 * any length up to the bound), and refused when nothing in it is understood (silence included), so
 * the answering model is never asked about an empty question.
 */
import { MmkitError } from '../../errors.ts';
import type { TranscriptionModel } from '../../models/spec/index.ts';
import { transcribe } from '../transcribe/transcribe.ts';

export const LISTEN_SAMPLE_RATE = 16000;
/** A spoken question rarely runs longer; longer audio is refused before it is transcribed. */
export const DEFAULT_MAX_AUDIO_SECONDS = 120;

export interface ListenOptions {
  audio: string | Uint8Array;
  /** Names the audio in messages. */
  name: string;
  transcriber: TranscriptionModel;
  /** ISO 639-1, or `auto`. */
  language: string;
  maxSeconds: number;
  signal?: AbortSignal;
}

export interface Heard {
  text: string;
  language: string;
  durationSeconds: number;
}

export async function listen(options: ListenOptions): Promise<Heard> {
  const { name, transcriber, language, maxSeconds, signal } = options;
  // The transcribe task decodes, bounds and windows the audio, so a long question is heard whole.
  const result = await transcribe({
    audio: options.audio,
    model: transcriber,
    language,
    task: 'transcribe',
    maxSeconds,
    name,
    ...(signal === undefined ? {} : { signal }),
  });
  signal?.throwIfAborted();
  const text = result.text.trim();
  if (text === '') {
    throw new MmkitError(`${name}: no speech was recognised in the audio`, {
      code: 'transcript_empty',
      param: 'audio',
    });
  }
  return { text, language: result.language, durationSeconds: result.durationSeconds };
}
