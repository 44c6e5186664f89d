/**
 * Leading/trailing silence trimming with librosa.effects.trim's semantics:
 * frame RMS over centred frames (the signal padded with frameLength/2 zeros each side, as
 * librosa.feature.rms does), converted to dB relative to the loudest frame (amplitude_to_db with
 * ref = max, amin 1e-5), a frame is non-silent when its dB > −topDb; the kept span runs from the
 * first non-silent frame × hop to min(length, (last non-silent frame + 1) × hop).
 */
import { MmkitError } from '../../errors.ts';

export interface TrimOptions {
  /** Threshold below the loudest frame, in dB (librosa's `top_db`). */
  topDb?: number;
  frameLength?: number;
  hopLength?: number;
  /** Names the input in the all-silent error. */
  name?: string;
}

export interface TrimResult {
  /** A view of the kept span (no copy). */
  samples: Float32Array;
  start: number;
  end: number;
}

/** librosa's amplitude floor: below it dB values are clamped, so nothing can be told apart. */
const AMPLITUDE_FLOOR = 1e-5;

export function trimSilence(samples: Float32Array, options: TrimOptions = {}): TrimResult {
  const topDb = options.topDb ?? 20;
  const frameLength = options.frameLength ?? 2048;
  const hopLength = options.hopLength ?? 512;
  checkPositive(topDb, 'topDb', false);
  checkPositive(frameLength, 'frameLength', true);
  checkPositive(hopLength, 'hopLength', true);
  const rms = frameRms(samples, frameLength, hopLength);
  let loudest = 0;
  for (const value of rms) loudest = Math.max(loudest, value);
  // librosa would keep everything (every frame sits at the floor, 0 dB below the "max"); for us
  // digital silence is an input error.
  if (loudest <= AMPLITUDE_FLOOR) {
    const name = options.name ?? 'audio';
    throw new MmkitError(`${name}: audio is all silent`, { code: 'audio_silent', param: options.name });
  }
  const referenceDb = 20 * Math.log10(loudest);
  const threshold = -topDb;
  let first = -1;
  let last = -1;
  for (let frame = 0; frame < rms.length; frame++) {
    const db = 20 * Math.log10(Math.max(AMPLITUDE_FLOOR, rms[frame])) - referenceDb;
    if (db > threshold) {
      if (first < 0) first = frame;
      last = frame;
    }
  }
  const start = first * hopLength;
  const end = Math.min(samples.length, (last + 1) * hopLength);
  return { samples: samples.subarray(start, end), start, end };
}

/** RMS of each centred frame: frame t covers padded[t·hop, t·hop + frameLength) of the zero-padded signal. */
export function frameRms(samples: Float32Array, frameLength: number, hopLength: number): Float64Array {
  const half = Math.floor(frameLength / 2);
  const paddedLength = samples.length + 2 * half;
  const frames = paddedLength >= frameLength ? 1 + Math.floor((paddedLength - frameLength) / hopLength) : 0;
  const rms = new Float64Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    // Index range in the unpadded signal; the zero padding contributes nothing to the sum.
    const from = Math.max(0, frame * hopLength - half);
    const to = Math.min(samples.length, frame * hopLength - half + frameLength);
    let sum = 0;
    for (let i = from; i < to; i++) sum += samples[i] * samples[i];
    rms[frame] = Math.sqrt(sum / frameLength);
  }
  return rms;
}

function checkPositive(value: number, param: string, integer: boolean): void {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new MmkitError(`${param} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`, {
      code: 'invalid_option',
      param,
    });
  }
}
