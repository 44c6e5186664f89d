import { afterEach, describe, expect, it, vi } from 'vitest';
import { melFilterBank } from '../mel-filters.ts';
import { melSpectrogram, powerToDb } from '../mel-spectrogram.ts';
import { melPowerSpectrogram } from '../spectrogram.ts';
import { differences, readGolden, readPcm16Wav } from '../test-support/fixtures.ts';
import { whisperLogMel } from '../whisper-features.ts';
import { audioSimd } from './audio-simd.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

function relativeDifference(a: Float32Array, b: Float32Array): number {
  let peak = 0;
  for (const value of b) peak = Math.max(peak, Math.abs(value));
  return differences(a, b).max / peak;
}

describe('WebAssembly SIMD kernels', () => {
  it('load on this Node', () => {
    expect(audioSimd()).not.toBeNull();
  });

  // Short and odd lengths: partial last batch, edge frames on both sides, both pad modes.
  for (const [nFft, hopLength, padMode, length] of [
    [400, 160, 'reflect', 16000 * 3 + 77],
    [2048, 512, 'constant', 16000 * 2 + 5],
    [2048, 512, 'constant', 700],
    [320, 80, 'constant', 4001],
  ] as const) {
    it(`give the JavaScript path's mel power (n_fft ${nFft}, ${padMode}, ${length} samples)`, () => {
      const { samples } = readPcm16Wav('speech-0930.wav');
      const piece = samples.subarray(2000, 2000 + length);
      const bank = melFilterBank({ sampleRate: 16000, nFft, nMels: 80, fmax: 8000 });
      const options = { nFft, hopLength, center: true, padMode, power: 2, bank };
      const fast = melPowerSpectrogram(piece, options);
      const plain = melPowerSpectrogram(piece, { ...options, engine: 'js' });
      expect(fast.nFrames).toBe(plain.nFrames);
      expect(relativeDifference(fast.data, plain.data)).toBeLessThan(1e-5);
    });
  }

  it('match the goldens with SIMD switched off too (MMKIT_AUDIO_SIMD=0)', () => {
    vi.stubEnv('MMKIT_AUDIO_SIMD', '0');
    expect(audioSimd()).toBeNull();
    const { samples } = readPcm16Wav('speech-0880.wav');
    const decibels = powerToDb(melSpectrogram(samples).data);
    expect(differences(decibels, readGolden('speech-0880.mel-db.npy').data).mean).toBeLessThan(1e-4);
    const golden = readGolden('speech-0880.whisper-80.npy');
    const features = whisperLogMel(samples);
    const frames = golden.shape[1];
    const head = new Float32Array(80 * frames);
    for (let mel = 0; mel < 80; mel++) head.set(features.subarray(mel * 3000, mel * 3000 + frames), mel * frames);
    expect(differences(head, golden.data).mean).toBeLessThan(1e-5);
  });

  it('compute power_to_db like the plain formula, with and without a floor', () => {
    const power = Float32Array.from({ length: 1003 }, (_, i) => (i % 7 === 0 ? 0 : Math.exp(-i / 40)));
    for (const topDb of [80, 20, null]) {
      const fast = powerToDb(power, { topDb });
      vi.stubEnv('MMKIT_AUDIO_SIMD', '0');
      const plain = powerToDb(power, { topDb });
      vi.unstubAllEnvs();
      expect(differences(fast, plain).max).toBeLessThan(1e-4);
    }
  });
});
