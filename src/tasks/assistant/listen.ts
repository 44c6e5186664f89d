/**
 * The assistant's ears: the question as audio → its text. The audio is decoded and resampled to
 * 16 kHz by our own loader (any common format), bounded in length, and refused when silent or when
 * nothing in it is understood, so the answering model is never asked about an empty question.
 */
import { MmkitError } from '../../errors.ts';
import type { TranscriptionModel } from '../../models/spec/index.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';

export const LISTEN_SAMPLE_RATE = 16000;
/** One Whisper window: a spoken question rarely runs longer. */
export const DEFAULT_MAX_AUDIO_SECONDS = 30;
/** Peak below which audio counts as silent (−80 dBFS). */
const SILENCE_PEAK = 1e-4;

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
  const audio = await loadAudio(options.audio, { sampleRate: LISTEN_SAMPLE_RATE, maxSeconds, name, signal });
  let peak = 0;
  for (let index = 0; index < audio.samples.length; index++) peak = Math.max(peak, Math.abs(audio.samples[index]));
  if (!(peak >= SILENCE_PEAK)) {
    throw new MmkitError(`${name}: audio is silent: no question to answer`, { code: 'audio_silent', param: 'audio' });
  }
  const result = await transcriber.transcribe({
    samples: audio.samples,
    sampleRate: LISTEN_SAMPLE_RATE,
    language,
    task: 'transcribe',
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
  return { text, language: result.language, durationSeconds: audio.durationSeconds };
}
