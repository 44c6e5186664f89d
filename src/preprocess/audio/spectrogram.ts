/**
 * Short-time Fourier transform fused with the mel projection: frames are windowed straight from the
 * signal (edge frames through a small padded copy, so long audio is never copied whole), transformed
 * a batch at a time, and projected onto the sparse mel filters, writing [nMels, nFrames] directly.
 */
import { realFft } from './fft.ts';
import type { MelFilterBank } from './mel-filters.ts';
import { audioSimd } from './simd/audio-simd.ts';
import { melPowerSimd, simdSupportsSize } from './simd/simd-spectrogram.ts';

export type PadMode = 'constant' | 'reflect';

export interface MelPowerOptions {
  nFft: number;
  hopLength: number;
  /** Centre frame t on sample t·hop by padding n_fft/2 on both sides (librosa and torch.stft default). */
  center: boolean;
  /** 'constant' (zeros: librosa ≥ 0.10) or 'reflect' (torch.stft, Whisper). */
  padMode: PadMode;
  /** 2: power spectrum, 1: magnitude. */
  power: number;
  bank: MelFilterBank;
  /** 'auto': WebAssembly SIMD where available, else JavaScript; 'js' forces JavaScript (tests). */
  engine?: 'auto' | 'js';
}

export interface Spectrogram {
  /** Row-major [nMels, nFrames]. */
  data: Float32Array;
  nMels: number;
  nFrames: number;
}

/** Frames transformed together: long enough inner loops, small enough to stay in cache. */
const BATCH = 16;

const windows = new Map<number, Float64Array>();

/** Periodic Hann window (scipy.signal.get_window('hann', n), torch.hann_window(n)). */
export function hannWindow(size: number): Float64Array {
  let window = windows.get(size);
  if (!window) {
    window = new Float64Array(size);
    for (let i = 0; i < size; i++) window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
    windows.set(size, window);
  }
  return window;
}

export function frameCount(length: number, nFft: number, hopLength: number, center: boolean): number {
  if (center) return 1 + Math.floor(length / hopLength);
  return length < nFft ? 0 : 1 + Math.floor((length - nFft) / hopLength);
}

export function melPowerSpectrogram(samples: Float32Array | Float64Array, options: MelPowerOptions): Spectrogram {
  const { nFft, hopLength, center, padMode, power, bank } = options;
  if (bank.nBins !== Math.floor(nFft / 2) + 1) throw new RangeError('mel filter bank does not match n_fft');
  const length = samples.length;
  if (center && padMode === 'reflect' && length <= nFft / 2) {
    throw new RangeError(`reflect padding needs more than ${nFft / 2} samples, got ${length}`);
  }
  const nFrames = frameCount(length, nFft, hopLength, center);
  const simd = options.engine === 'js' ? null : audioSimd();
  if (simd && nFrames > 0 && simdSupportsSize(nFft)) {
    return melPowerSimd(simd, samples, { ...options, window: hannWindow(nFft), nFrames });
  }
  const nMels = bank.nMels;
  const data = new Float32Array(nMels * nFrames);
  const plan = realFft(nFft, BATCH);
  const window = hannWindow(nFft);
  const spectrum = new Float64Array(bank.nBins * BATCH);
  const edgeFrame = new Float64Array(nFft);
  const accumulator = new Float64Array(BATCH);
  const shift = center ? Math.floor(nFft / 2) : 0;
  const { firstBin, offset, weights } = bank;

  for (let batchStart = 0; batchStart < nFrames; batchStart += BATCH) {
    const count = Math.min(BATCH, nFrames - batchStart);
    for (let f = 0; f < count; f++) {
      const start = (batchStart + f) * hopLength - shift;
      if (start >= 0 && start + nFft <= length) {
        plan.setFrame(f, samples, start, window);
      } else {
        fillPaddedFrame(edgeFrame, samples, start, padMode);
        plan.setFrame(f, edgeFrame, 0, window);
      }
    }
    plan.powerBatch(spectrum);
    if (power !== 2) {
      const exponent = power / 2;
      for (let i = 0; i < spectrum.length; i++) spectrum[i] = spectrum[i] ** exponent;
    }
    for (let mel = 0; mel < nMels; mel++) {
      accumulator.fill(0);
      const first = firstBin[mel];
      for (let j = offset[mel]; j < offset[mel + 1]; j++) {
        const weight = weights[j];
        const row = (first + j - offset[mel]) * BATCH;
        for (let f = 0; f < count; f++) accumulator[f] += weight * spectrum[row + f];
      }
      const out = mel * nFrames + batchStart;
      for (let f = 0; f < count; f++) data[out + f] = accumulator[f];
    }
  }
  return { data, nMels, nFrames };
}

/** The n_fft samples starting at `start` (possibly < 0 or past the end), padded as `padMode` says. */
function fillPaddedFrame(frame: Float64Array, samples: Float32Array | Float64Array, start: number, padMode: PadMode) {
  const length = samples.length;
  for (let t = 0; t < frame.length; t++) {
    let index = start + t;
    if (index < 0 || index >= length) {
      if (padMode === 'constant') {
        frame[t] = 0;
        continue;
      }
      // Reflect about the edge samples without repeating them (numpy/torch 'reflect').
      const period = 2 * (length - 1);
      index = ((index % period) + period) % period;
      if (index >= length) index = period - index;
    }
    frame[t] = samples[index];
  }
}
