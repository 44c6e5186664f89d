/**
 * Where the assistant's WAV goes. In an output folder the name is made here, never taken from the
 * request (the seed used upload names as given: a path-traversal hole): local time to the
 * millisecond plus random hex, created exclusively so two answers in the same millisecond, or two
 * processes sharing the folder, never overwrite each other. An explicit output file is written
 * through a temporary file and renamed, so no half-written WAV is ever left under its name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { encodeWav } from '../../media/wav.ts';

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** `20261125-123456-789_1a2b3c4d.wav` (local time). */
export function timestampedWavName(date: Date = new Date(), random: string = randomBytes(4).toString('hex')): string {
  const day = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `${day}-${time}-${pad(date.getMilliseconds(), 3)}_${random}.wav`;
}

/** Creates the folder if needed; fails early, before any model runs, when it cannot be used. */
export async function prepareOutputFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw outputError(folder, `cannot create the output folder (${describeError(error)})`, error);
  }
}

/** Checks an explicit output file's name and folder before any model runs. */
export async function checkOutputFile(path: string): Promise<void> {
  if (extname(path).toLowerCase() !== '.wav') {
    throw new MmkitError(`${path}: the output file must end in .wav`, { code: 'output_invalid', param: 'out' });
  }
  const folder = dirname(path);
  const info = await stat(folder).catch(() => null);
  if (info === null || !info.isDirectory()) {
    throw new MmkitError(`${path}: the folder ${folder} does not exist`, { code: 'output_invalid', param: 'out' });
  }
}

/** Writes a new WAV with a fresh timestamped name inside `folder`; returns its path. */
export async function writeNewWav(folder: string, samples: Float32Array, sampleRate: number): Promise<string> {
  const bytes = encodeWav(samples, sampleRate);
  for (let attempt = 0; attempt < 8; attempt++) {
    const name = timestampedWavName();
    const path = join(folder, name);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw outputError(path, `cannot create the audio file (${describeError(error)})`, error);
    }
    try {
      await handle.writeFile(bytes);
      await handle.close();
      return path;
    } catch (error) {
      await handle.close().catch(() => {});
      await rm(path, { force: true });
      throw outputError(path, `cannot write the audio file (${describeError(error)})`, error);
    }
  }
  throw outputError(folder, 'could not find a free file name for the answer audio', undefined);
}

/** Writes the WAV at exactly `path` (replacing a file there), atomically. */
export async function writeWavAt(path: string, samples: Float32Array, sampleRate: number): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(encodeWav(samples, sampleRate));
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return path;
  } catch (error) {
    await rm(temporary, { force: true });
    throw outputError(path, `cannot write the audio file (${describeError(error)})`, error);
  }
}

function outputError(path: string, reason: string, cause: unknown): MmkitError {
  return new MmkitError(`${path}: ${reason}`, { code: 'output_unwritable', param: 'out', cause });
}
