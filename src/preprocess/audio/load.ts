/**
 * `loadAudio`: any supported audio file or byte buffer → mono float32 at the requested rate.
 * WAV (PCM/float) is parsed in TypeScript; everything else (MP3, Ogg Vorbis/Opus, FLAC, WebM, M4A/AAC,
 * AIFF, unusual WAV encodings) is decoded by ffmpeg. The container is sniffed from the bytes.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { describeError } from '../../errors.ts';
import { audioError } from './errors.ts';
import { decodeWithFfmpeg } from './ffmpeg.ts';
import { type ResampleQuality, resample } from './resample.ts';
import { type AudioContainer, SNIFF_BYTES, sniffAudioContainer } from './sniff.ts';
import { readWavFormat, type WavAudio, wavToMono } from './wav.ts';

export interface LoadAudioOptions {
  /** Output rate in Hz; the file's own rate when omitted. */
  sampleRate?: number;
  /** Names the input in error messages (defaults to the path, or "audio" for bytes). */
  name?: string;
  /** Refuse audio longer than this. */
  maxSeconds?: number;
  signal?: AbortSignal;
  /** Resampler design, see `resample`. */
  quality?: ResampleQuality;
}

export interface LoadedAudio {
  /** Mono (the average of the channels), at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  originalSampleRate: number;
  channels: number;
  /** Duration of the decoded audio, in seconds. */
  durationSeconds: number;
  container: AudioContainer;
}

const SUPPORTED = 'WAV, MP3, Ogg Vorbis, Ogg Opus, FLAC, WebM, M4A/AAC';

export async function loadAudio(input: string | Uint8Array, options: LoadAudioOptions = {}): Promise<LoadedAudio> {
  const name = options.name ?? (typeof input === 'string' ? input : 'audio');
  const { maxSeconds, signal } = options;
  signal?.throwIfAborted();
  const head = typeof input === 'string' ? await readHead(input, name) : input.subarray(0, SNIFF_BYTES);
  if (head.length === 0) throw audioError(name, 'file is empty (0 bytes)', 'audio_empty');
  const container = sniffAudioContainer(head);
  if (container === null) {
    throw audioError(name, `not a recognised audio format (supported: ${SUPPORTED})`, 'audio_unsupported');
  }
  let decoded: WavAudio | null = null;
  if (container === 'wav') {
    const bytes = typeof input === 'string' ? await readWhole(input, name, signal) : input;
    const format = readWavFormat(bytes, name);
    if (format !== null) {
      checkDuration(format.frames / format.sampleRate, name, maxSeconds);
      decoded = { samples: wavToMono(bytes, format), sampleRate: format.sampleRate, channels: format.channels };
    }
  }
  if (decoded === null) {
    const source = typeof input === 'string' ? { path: input } : { bytes: input };
    decoded = await decodeWithFfmpeg(source, { name, container, maxSeconds, signal });
  }
  const durationSeconds = decoded.samples.length / decoded.sampleRate;
  if (decoded.samples.length === 0) throw audioError(name, 'contains no audio', 'audio_empty');
  checkDuration(durationSeconds, name, maxSeconds);
  const sampleRate = options.sampleRate ?? decoded.sampleRate;
  const samples =
    sampleRate === decoded.sampleRate
      ? decoded.samples
      : resample(decoded.samples, decoded.sampleRate, sampleRate, { quality: options.quality });
  return {
    samples,
    sampleRate,
    originalSampleRate: decoded.sampleRate,
    channels: decoded.channels,
    durationSeconds,
    container,
  };
}

function checkDuration(seconds: number, name: string, maxSeconds: number | undefined): void {
  if (maxSeconds !== undefined && seconds > maxSeconds) {
    throw audioError(
      name,
      `audio is ${seconds.toFixed(1)} s long, over the limit of ${maxSeconds} s`,
      'audio_too_long',
    );
  }
}

async function readHead(path: string, name: string): Promise<Uint8Array> {
  await checkFile(path, name);
  const handle = await open(path, 'r').catch((error) => {
    throw fileError(error, name);
  });
  try {
    const buffer = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readWhole(path: string, name: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  try {
    return await readFile(path, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw fileError(error, name);
  }
}

async function checkFile(path: string, name: string): Promise<void> {
  const info = await stat(path).catch((error) => {
    throw fileError(error, name);
  });
  if (!info.isFile()) throw audioError(name, 'not a regular file', 'audio_unreadable');
}

function fileError(error: unknown, name: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return audioError(name, 'no such file', 'audio_not_found', error);
  return audioError(name, `cannot read file (${describeError(error)})`, 'audio_unreadable', error);
}
