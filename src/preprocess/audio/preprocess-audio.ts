/**
 * The seed's audio preprocessing as one call: decode → resample → trim silence → mel spectrogram →
 * dB relative to the maximum → pad or cut to a fixed number of frames → stack [N, nMels, maxFrames].
 */
import { MmkitError } from '../../errors.ts';
import { loadAudio } from './load.ts';
import { melSpectrogram, padOrTrimFrames, powerToDb } from './mel-spectrogram.ts';
import type { ResampleQuality } from './resample.ts';
import { trimSilence } from './trim.ts';

export interface PreprocessAudioOptions {
  sampleRate?: number;
  /** Silence threshold below the loudest frame for trimming, in dB. */
  topDb?: number;
  /** false keeps leading and trailing silence. */
  trim?: boolean;
  nMels?: number;
  fmin?: number;
  fmax?: number;
  nFft?: number;
  hopLength?: number;
  maxFrames?: number;
  /** Fills frames past the end: 'silence' (each item's minimum, the default) or a fixed dB value. */
  padValue?: 'silence' | number;
  /** Resampler design (see `resample`): 'best' (default) or 'fast' (torchaudio's default kernel). */
  resampleQuality?: ResampleQuality;
  signal?: AbortSignal;
  /** Called after each input is done. */
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface PreprocessedAudioItem {
  name: string;
  /** Seconds of audio after resampling and trimming. */
  durationSeconds: number;
  /** Frames the audio filled before padding or cutting (at most maxFrames of them are kept). */
  frames: number;
}

export interface AudioBatch {
  /** Row-major [N, nMels, maxFrames], float32 dB. */
  data: Float32Array;
  shape: [number, number, number];
  items: PreprocessedAudioItem[];
}

export const preprocessAudioDefaults = {
  sampleRate: 16000,
  topDb: 20,
  trim: true,
  nMels: 80,
  fmin: 0,
  fmax: 8000,
  nFft: 2048,
  hopLength: 512,
  maxFrames: 3000,
  padValue: 'silence' as 'silence' | number,
};

type Input = string | { name: string; bytes: Uint8Array };

export async function preprocessAudio(inputs: Input[], options: PreprocessAudioOptions = {}): Promise<AudioBatch> {
  const o = resolveOptions(options);
  if (inputs.length === 0) throw new MmkitError('no audio inputs given', { code: 'audio_missing', param: 'files' });
  const frameSize = o.nMels * o.maxFrames;
  const data = new Float32Array(inputs.length * frameSize);
  const items: PreprocessedAudioItem[] = [];
  for (const [index, input] of inputs.entries()) {
    const name = typeof input === 'string' ? input : input.name;
    const loaded = await loadAudio(typeof input === 'string' ? input : input.bytes, {
      sampleRate: o.sampleRate,
      name,
      signal: options.signal,
      quality: options.resampleQuality,
    });
    let samples = loaded.samples;
    if (samples.length === 0) throw new MmkitError(`${name}: audio is empty`, { code: 'audio_empty', param: name });
    if (o.trim) samples = trimSilence(samples, { topDb: o.topDb, name }).samples;
    const spectrogram = melSpectrogram(samples, {
      sampleRate: o.sampleRate,
      nFft: o.nFft,
      hopLength: o.hopLength,
      nMels: o.nMels,
      fmin: o.fmin,
      fmax: o.fmax,
    });
    const decibels = powerToDb(spectrogram.data);
    const fixed = padOrTrimFrames(decibels, o.nMels, spectrogram.nFrames, o.maxFrames, { padValue: o.padValue });
    data.set(fixed, index * frameSize);
    items.push({ name, durationSeconds: samples.length / o.sampleRate, frames: spectrogram.nFrames });
    options.onProgress?.(index + 1, inputs.length, name);
  }
  return { data, shape: [inputs.length, o.nMels, o.maxFrames], items };
}

function resolveOptions(options: PreprocessAudioOptions): typeof preprocessAudioDefaults {
  const o = { ...preprocessAudioDefaults };
  for (const key of Object.keys(o) as Array<keyof typeof o>) {
    if (options[key] !== undefined) (o as Record<string, unknown>)[key] = options[key];
  }
  integer(o.sampleRate, 'sampleRate', 1000, 384000);
  integer(o.nMels, 'nMels', 1, 512);
  integer(o.nFft, 'nFft', 16, 65536);
  if (o.nFft % 2 !== 0) throw invalid('nFft', `nFft must be even, got ${o.nFft}`);
  integer(o.hopLength, 'hopLength', 1, 65536);
  integer(o.maxFrames, 'maxFrames', 1, 1_000_000);
  if (!(o.topDb > 0)) throw invalid('topDb', `topDb must be > 0, got ${o.topDb}`);
  if (!(o.fmin >= 0 && o.fmin < o.fmax)) throw invalid('fmin', `fmin must be ≥ 0 and below fmax, got ${o.fmin}`);
  if (!(o.fmax <= o.sampleRate / 2)) {
    throw invalid(
      'fmax',
      `fmax ${o.fmax} is above the Nyquist frequency of ${o.sampleRate} Hz audio (${o.sampleRate / 2})`,
    );
  }
  if (o.padValue !== 'silence' && !Number.isFinite(o.padValue)) {
    throw invalid('padValue', `padValue must be 'silence' or a number, got ${String(o.padValue)}`);
  }
  return o;
}

function integer(value: number, param: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(param, `${param} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function invalid(param: string, message: string): MmkitError {
  return new MmkitError(message, { code: 'invalid_option', param });
}
