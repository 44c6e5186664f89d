/**
 * `say`: text → speech → an audio file (the seed's text-to-speech step): a 16-bit PCM WAV, or MP3,
 * Ogg Opus, AAC or FLAC when the file's name ends so. The file appears whole or not at all; empty
 * text and a missing output folder are refused before the model runs.
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { writeFileAtomically } from '../../media/atomic-file.ts';
import { encodeWav } from '../../media/wav.ts';
import type { SpeechModel, Timings } from '../../models/spec/index.ts';
import { type CompressedAudioFormat, encodeWithFfmpeg } from '../../preprocess/audio/ffmpeg-encode.ts';

export interface SayOptions {
  text: string;
  model: SpeechModel;
  /** Where the audio goes; `.mp3`, `.opus`/`.ogg`, `.aac` and `.flac` pick those formats, anything else is WAV. */
  outPath: string;
  voice?: string;
  /** 1 is normal speed. */
  speed?: number;
  /** An ISO 639 code, when the caller knows the text's language. */
  language?: string;
  signal?: AbortSignal;
}

export interface SayResult {
  path: string;
  sampleRate: number;
  durationSeconds: number;
  timings: Timings;
}

const COMPRESSED_BY_EXTENSION: Partial<Record<string, CompressedAudioFormat>> = {
  '.mp3': 'mp3',
  '.opus': 'opus',
  '.ogg': 'opus',
  '.aac': 'aac',
  '.flac': 'flac',
};

export async function say(options: SayOptions): Promise<SayResult> {
  const { model, voice, speed, language, signal } = options;
  const text = options.text.trim();
  if (text === '') throw new MmkitError('text is empty: give something to say', { code: 'text_empty', param: 'text' });
  const path = resolve(options.outPath);
  await checkFolder(dirname(path));
  const speech = await model.synthesize({
    text,
    ...(voice !== undefined ? { voice } : {}),
    ...(speed !== undefined ? { speed } : {}),
    ...(language !== undefined ? { language } : {}),
    ...(signal ? { signal } : {}),
  });
  signal?.throwIfAborted();
  const format = COMPRESSED_BY_EXTENSION[extname(path).toLowerCase()];
  const bytes = format
    ? await encodeWithFfmpeg(speech.samples, speech.sampleRate, format, signal)
    : encodeWav(speech.samples, speech.sampleRate);
  try {
    await writeFileAtomically(path, bytes);
  } catch (error) {
    throw new MmkitError(`${path}: cannot write the audio file (${describeError(error)})`, {
      code: 'output_unwritable',
      param: 'outPath',
    });
  }
  return {
    path,
    sampleRate: speech.sampleRate,
    durationSeconds: speech.samples.length / speech.sampleRate,
    timings: speech.timings,
  };
}

async function checkFolder(folder: string): Promise<void> {
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MmkitError(`${folder}: output folder does not exist`, {
      code: 'output_folder_missing',
      param: 'outPath',
    });
  }
}
