import { describe, expect, it } from 'vitest';
import { melSpectrogram, padOrTrimFrames, powerToDb } from './mel-spectrogram.ts';
import { differences, readGolden, readPcm16Wav } from './test-support/fixtures.ts';

describe('melSpectrogram + powerToDb on real speech', () => {
  for (const clip of ['speech-0930', 'speech-0880']) {
    it(`${clip}: within 0.1 dB of the librosa-definition reference, same frame count`, () => {
      const { samples, sampleRate } = readPcm16Wav(`${clip}.wav`);
      expect(sampleRate).toBe(16000);
      const golden = readGolden(`${clip}.mel-db.npy`);
      const spectrogram = melSpectrogram(samples);
      expect([spectrogram.nMels, spectrogram.nFrames]).toEqual(golden.shape);
      expect(spectrogram.nFrames).toBe(1 + Math.floor(samples.length / 512));
      const decibels = powerToDb(spectrogram.data);
      const { mean, max } = differences(decibels, golden.data);
      expect(mean).toBeLessThan(0.1);
      // Measured: mean ≈ 1e-7 dB, max ≈ 1e-5 dB (float32 rounding): hold it well below the target.
      expect(mean).toBeLessThan(1e-4);
      expect(max).toBeLessThan(1e-3);
    });
  }
});

describe('melSpectrogram', () => {
  it('puts a 1 kHz tone in the mel band around 1 kHz', () => {
    const samples = Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const { data, nMels, nFrames } = melSpectrogram(samples);
    const middle = Math.floor(nFrames / 2);
    let loudest = 0;
    for (let mel = 0; mel < nMels; mel++)
      if (data[mel * nFrames + middle] > data[loudest * nFrames + middle]) loudest = mel;
    // 1 kHz = 15 Slaney mels; 80 bands span 0 … 8 kHz (≈ 45.2 mels), so the band is ≈ 15 / 45.2 · 81 − 1.
    expect(loudest).toBeGreaterThanOrEqual(24);
    expect(loudest).toBeLessThanOrEqual(27);
  });

  it('gives uncentred frame counts and magnitude spectra on request', () => {
    const samples = Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i / 7));
    const uncentred = melSpectrogram(samples, { center: false, nFft: 1024, hopLength: 256 });
    expect(uncentred.nFrames).toBe(1 + Math.floor((5000 - 1024) / 256));
    const power = melSpectrogram(samples, { power: 2 });
    const magnitude = melSpectrogram(samples, { power: 1 });
    expect(magnitude.nFrames).toBe(power.nFrames);
    expect(magnitude.data).not.toEqual(power.data);
  });

  it('rejects impossible options', () => {
    const samples = new Float32Array(1000);
    expect(() => melSpectrogram(samples, { nFft: 401 })).toThrow(RangeError);
    expect(() => melSpectrogram(samples, { fmax: 9000 })).toThrow(/fmax/);
    expect(() => melSpectrogram(samples, { hopLength: 0 })).toThrow(RangeError);
  });
});

describe('powerToDb', () => {
  it('is 10·log10 relative to the maximum, floored at max − top_db', () => {
    const decibels = powerToDb(Float32Array.from([1, 0.1, 1e-3, 1e-12, 0]));
    expect(Array.from(decibels).map((x) => Math.round(x * 1000) / 1000)).toEqual([0, -10, -30, -80, -80]);
    const unfloored = powerToDb(Float32Array.from([1, 1e-12]), { topDb: null });
    expect(unfloored[1]).toBeCloseTo(-100, 4);
    const fixedReference = powerToDb(Float32Array.from([10, 1]), { ref: 1, topDb: null });
    expect(fixedReference[0]).toBeCloseTo(10, 5);
    expect(fixedReference[1]).toBeCloseTo(0, 5);
  });
});

describe('padOrTrimFrames', () => {
  const spectrogram = Float32Array.from([0, -10, -20, -5, -15, -25]); // 2 mels × 3 frames

  it('pads with silence (the minimum), not 0 dB, by default', () => {
    expect(Array.from(padOrTrimFrames(spectrogram, 2, 3, 5))).toEqual([0, -10, -20, -25, -25, -5, -15, -25, -25, -25]);
  });

  it('pads with a given value and cuts long input', () => {
    expect(Array.from(padOrTrimFrames(spectrogram, 2, 3, 4, { padValue: -80 }))).toEqual([
      0, -10, -20, -80, -5, -15, -25, -80,
    ]);
    expect(Array.from(padOrTrimFrames(spectrogram, 2, 3, 2))).toEqual([0, -10, -5, -15]);
  });

  it('checks the shape it is told', () => {
    expect(() => padOrTrimFrames(spectrogram, 2, 4)).toThrow(/2×4/);
  });
});
