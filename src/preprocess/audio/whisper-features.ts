/**
 * Whisper's log-mel features (openai/whisper `log_mel_spectrogram`, Hugging Face's
 * `WhisperFeatureExtractor`): 30 s windows of 16 kHz audio, n_fft 400, hop 160, periodic Hann,
 * reflect-padded centred frames, the last frame dropped (3000 frames), librosa Slaney mel filters
 * (fmax 8000), log10(max(1e-10, S)), clamped at max − 8, then (x + 4) / 4.
 */
import { melFilterBank } from './mel-filters.ts';
import { audioSimd, logCompress } from './simd/audio-simd.ts';
import { melPowerSpectrogram } from './spectrogram.ts';

export const WHISPER_SAMPLE_RATE = 16000;
export const WHISPER_N_FFT = 400;
export const WHISPER_HOP_LENGTH = 160;
export const WHISPER_CHUNK_SAMPLES = 30 * WHISPER_SAMPLE_RATE;

export interface WhisperLogMelOptions {
  /** 80 (Whisper ≤ large-v2) or 128 (large-v3). */
  nMels?: 80 | 128;
  /** Frames per window: 3000 for 30 s. */
  nFrames?: number;
}

/** Features of one window: `samples16k` is padded with zeros or cut to nFrames·160 samples. Row-major [nMels, nFrames]. */
export function whisperLogMel(
  samples16k: Float32Array | Float64Array,
  options: WhisperLogMelOptions = {},
): Float32Array {
  const nMels = options.nMels ?? 80;
  const nFrames = options.nFrames ?? 3000;
  if (nMels !== 80 && nMels !== 128) throw new RangeError(`Whisper uses 80 or 128 mels, got ${nMels}`);
  if (!Number.isInteger(nFrames) || nFrames < 2) throw new RangeError(`nFrames must be an integer ≥ 2, got ${nFrames}`);
  const windowSamples = nFrames * WHISPER_HOP_LENGTH;
  let audio: Float32Array | Float64Array = samples16k;
  if (samples16k.length !== windowSamples) {
    audio = new Float32Array(windowSamples);
    audio.set(samples16k.subarray(0, windowSamples));
  }
  const bank = melFilterBank({ sampleRate: WHISPER_SAMPLE_RATE, nFft: WHISPER_N_FFT, nMels, fmin: 0, fmax: 8000 });
  // nFrames + 1 frames come out of a centred STFT; Whisper drops the last one.
  const spectrogram = melPowerSpectrogram(audio, {
    nFft: WHISPER_N_FFT,
    hopLength: WHISPER_HOP_LENGTH,
    center: true,
    padMode: 'reflect',
    power: 2,
    bank,
  });
  const total = spectrogram.nFrames;
  const out = new Float32Array(nMels * nFrames);
  for (let mel = 0; mel < nMels; mel++)
    out.set(spectrogram.data.subarray(mel * total, mel * total + nFrames), mel * nFrames);
  const simd = audioSimd();
  if (simd) {
    logCompress(simd, out, { floor: 1e-10, scale: 1, range: 8, add: 4, multiply: 0.25 });
    return out;
  }
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < out.length; i++) {
    const value = Math.log10(Math.max(1e-10, out[i]));
    out[i] = value;
    if (value > peak) peak = value;
  }
  const floor = peak - 8;
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i], floor) + 4) / 4;
  return out;
}

export interface WhisperWindow {
  /** Where the window starts in the input, in samples and seconds. */
  startSample: number;
  startSeconds: number;
  /** How many input samples the window holds (≤ 30 s; the rest is zero padding). */
  sampleCount: number;
  /** Row-major [nMels, nFrames]. */
  features: Float32Array;
}

export interface WhisperWindowOptions extends WhisperLogMelOptions {
  /** Distance between window starts in seconds: 30 (no overlap) by default; smaller values overlap windows. */
  strideSeconds?: number;
}

/** Audio of any length as consecutive 30 s windows, each computed as Whisper computes one input. */
export function whisperLogMelWindows(
  samples16k: Float32Array | Float64Array,
  options: WhisperWindowOptions = {},
): WhisperWindow[] {
  const nFrames = options.nFrames ?? 3000;
  const windowSamples = nFrames * WHISPER_HOP_LENGTH;
  const stride = Math.round((options.strideSeconds ?? windowSamples / WHISPER_SAMPLE_RATE) * WHISPER_SAMPLE_RATE);
  if (!(stride >= 1 && stride <= windowSamples)) {
    throw new RangeError(`strideSeconds must be > 0 and at most the window (${windowSamples / WHISPER_SAMPLE_RATE} s)`);
  }
  const windows: WhisperWindow[] = [];
  for (let start = 0; start === 0 || start < samples16k.length; start += stride) {
    const piece = samples16k.subarray(start, Math.min(samples16k.length, start + windowSamples));
    windows.push({
      startSample: start,
      startSeconds: start / WHISPER_SAMPLE_RATE,
      sampleCount: piece.length,
      features: whisperLogMel(piece, options),
    });
    if (start + windowSamples >= samples16k.length) break;
  }
  return windows;
}
