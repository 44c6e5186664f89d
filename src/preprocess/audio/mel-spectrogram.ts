/**
 * librosa-style features as the seed uses them: `librosa.feature.melspectrogram` (Hann, centred frames
 * zero-padded, power 2, Slaney mels with Slaney norm), `librosa.power_to_db(ref=np.max)`, then a fixed
 * number of frames. Layout everywhere: row-major [nMels, nFrames].
 */
import { melFilterBank } from './mel-filters.ts';
import { audioSimd, logCompress } from './simd/audio-simd.ts';
import { melPowerSpectrogram, type PadMode, type Spectrogram } from './spectrogram.ts';

export type { Spectrogram } from './spectrogram.ts';

export interface MelSpectrogramOptions {
  sampleRate?: number;
  nFft?: number;
  hopLength?: number;
  nMels?: number;
  fmin?: number;
  fmax?: number;
  /** 2 for power, 1 for magnitude. */
  power?: number;
  center?: boolean;
  padMode?: PadMode;
}

export const melSpectrogramDefaults = {
  sampleRate: 16000,
  nFft: 2048,
  hopLength: 512,
  nMels: 80,
  fmin: 0,
  fmax: 8000,
  power: 2,
  center: true,
  padMode: 'constant' as PadMode,
};

export function melSpectrogram(samples: Float32Array | Float64Array, options: MelSpectrogramOptions = {}): Spectrogram {
  const o = { ...melSpectrogramDefaults, ...withoutUndefined(options) };
  if (!Number.isInteger(o.nFft) || o.nFft < 2 || o.nFft % 2 !== 0)
    throw new RangeError(`nFft must be an even integer ≥ 2, got ${o.nFft}`);
  if (!Number.isInteger(o.hopLength) || o.hopLength < 1)
    throw new RangeError(`hopLength must be an integer ≥ 1, got ${o.hopLength}`);
  if (!Number.isInteger(o.nMels) || o.nMels < 1) throw new RangeError(`nMels must be an integer ≥ 1, got ${o.nMels}`);
  if (!(o.fmin >= 0 && o.fmax > o.fmin && o.fmax <= o.sampleRate / 2)) {
    throw new RangeError(`need 0 ≤ fmin < fmax ≤ sampleRate / 2, got fmin ${o.fmin}, fmax ${o.fmax}`);
  }
  const bank = melFilterBank({ sampleRate: o.sampleRate, nFft: o.nFft, nMels: o.nMels, fmin: o.fmin, fmax: o.fmax });
  return melPowerSpectrogram(samples, { ...o, bank });
}

export interface PowerToDbOptions {
  amin?: number;
  /** Floor at max − topDb; null for no floor. */
  topDb?: number | null;
  /** 'max' (librosa's ref=np.max) or a fixed reference power. */
  ref?: 'max' | number;
}

/** 10·log10(max(amin, S)) − 10·log10(max(amin, ref)), floored at (its maximum − topDb). A new array. */
export function powerToDb(spectrogram: Float32Array | Float64Array, options: PowerToDbOptions = {}): Float32Array {
  const amin = options.amin ?? 1e-10;
  const topDb = options.topDb === undefined ? 80 : options.topDb;
  if (!(amin > 0)) throw new RangeError(`amin must be > 0, got ${amin}`);
  if (topDb !== null && !(topDb >= 0)) throw new RangeError(`topDb must be ≥ 0, got ${topDb}`);
  let reference: number;
  if (options.ref === undefined || options.ref === 'max') {
    reference = 0;
    for (let i = 0; i < spectrogram.length; i++) if (spectrogram[i] > reference) reference = spectrogram[i];
  } else {
    reference = Math.abs(options.ref);
  }
  const offset = 10 * Math.log10(Math.max(amin, reference));
  const simd = audioSimd();
  if (simd) {
    const values = Float32Array.from(spectrogram);
    logCompress(simd, values, {
      floor: amin,
      scale: 10,
      range: topDb ?? Number.POSITIVE_INFINITY,
      add: -offset,
      multiply: 1,
    });
    return values;
  }
  const out = new Float32Array(spectrogram.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < spectrogram.length; i++) {
    const value = 10 * Math.log10(Math.max(amin, spectrogram[i])) - offset;
    out[i] = value;
    if (value > peak) peak = value;
  }
  if (topDb !== null) {
    const floor = peak - topDb;
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return out;
}

export interface PadOrTrimOptions {
  /** What fills missing frames: 'silence' (the spectrogram's minimum, the default) or a fixed value. */
  padValue?: 'silence' | number;
}

/**
 * Cut or pad the time axis of [nMels, nFrames] to [nMels, maxFrames]. Padding is silence by default: the
 * seed pads with 0, which in dB relative to the maximum is the loudest possible value.
 */
export function padOrTrimFrames(
  spectrogram: Float32Array,
  nMels: number,
  nFrames: number,
  maxFrames = 3000,
  options: PadOrTrimOptions = {},
): Float32Array {
  if (spectrogram.length !== nMels * nFrames) {
    throw new RangeError(`spectrogram holds ${spectrogram.length} values, not ${nMels}×${nFrames}`);
  }
  if (!Number.isInteger(maxFrames) || maxFrames < 1)
    throw new RangeError(`maxFrames must be an integer ≥ 1, got ${maxFrames}`);
  const padValue = options.padValue ?? 'silence';
  let fill = 0;
  if (padValue === 'silence') {
    fill = Number.POSITIVE_INFINITY;
    for (let i = 0; i < spectrogram.length; i++) if (spectrogram[i] < fill) fill = spectrogram[i];
    if (!Number.isFinite(fill)) fill = 0;
  } else {
    fill = padValue;
  }
  const out = new Float32Array(nMels * maxFrames);
  const kept = Math.min(nFrames, maxFrames);
  for (let mel = 0; mel < nMels; mel++) {
    out.set(spectrogram.subarray(mel * nFrames, mel * nFrames + kept), mel * maxFrames);
    if (kept < maxFrames) out.fill(fill, mel * maxFrames + kept, (mel + 1) * maxFrames);
  }
  return out;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
