/**
 * `say`: text → speech → a 16-bit PCM WAV file (the seed's text-to-speech step). The file appears
 * whole or not at all; empty text and a missing output folder are refused before the model runs.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { writeWavFile } from '../../media/wav-file.ts';
import type { SpeechModel, Timings } from '../../models/spec/index.ts';

export interface SayOptions {
  text: string;
  model: SpeechModel;
  /** Where the WAV goes. */
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
  try {
    await writeWavFile(path, speech.samples, speech.sampleRate);
  } catch (error) {
    throw new MmkitError(`${path}: cannot write the WAV file (${describeError(error)})`, {
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
