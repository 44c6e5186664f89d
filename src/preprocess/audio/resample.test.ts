import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { simdKernel } from './polyphase-wasm.ts';
import { type ResampleQuality, resample, resampleScalar } from './resample.ts';
import { decodeWav } from './wav.ts';

const fixtures = new URL('./fixtures/', import.meta.url);

interface ReferenceCase {
  signal: 'speech' | 'sweep';
  fromRate: number;
  toRate: number;
  inputLength: number;
  output: string;
}

function loadReference(quality: ResampleQuality): ReferenceCase[] {
  return JSON.parse(readFileSync(new URL(`resample-${quality}.golden.json`, fixtures), 'utf8')).cases;
}

const speechClip = decodeWav(readFileSync(new URL('speech-0880.wav', fixtures)), 'speech-0880.wav')!.samples;

/** The inputs the reference script built: the speech clip declared at `rate`, or a linear chirp. */
function referenceInput(reference: ReferenceCase): Float32Array {
  const { inputLength: length, fromRate: rate } = reference;
  if (reference.signal === 'speech') return speechClip.slice(0, length);
  const duration = length / rate;
  const [f0, f1] = [50, 0.49 * rate];
  const out = new Float32Array(length);
  for (let n = 0; n < length; n++) {
    const t = n / rate;
    out[n] = 0.5 * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * duration)));
  }
  return out;
}

function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Signal-to-error ratio in dB and the largest absolute error. */
function compare(ours: Float32Array, reference: Float32Array): { snr: number; maxError: number } {
  let signal = 0;
  let error = 0;
  let maxError = 0;
  for (let i = 0; i < reference.length; i++) {
    const difference = ours[i] - reference[i];
    signal += reference[i] ** 2;
    error += difference ** 2;
    maxError = Math.max(maxError, Math.abs(difference));
  }
  return { snr: 10 * Math.log10(signal / Math.max(error, 1e-300)), maxError };
}

function tone(frequency: number, rate: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let n = 0; n < out.length; n++) out[n] = Math.sin((2 * Math.PI * frequency * n) / rate);
  return out;
}

/** RMS level in dB relative to a full-scale sine, away from the edges. */
function levelDb(samples: Float32Array, margin: number): number {
  let sum = 0;
  for (let i = margin; i < samples.length - margin; i++) sum += samples[i] ** 2;
  return 10 * Math.log10(sum / (samples.length - 2 * margin) / 0.5);
}

describe('resample', () => {
  for (const quality of ['fast', 'best'] as const) {
    it(`matches torchaudio (${quality} setting) on speech and sweeps at every ratio`, () => {
      const cases = loadReference(quality);
      expect(cases).toHaveLength(8);
      for (const reference of cases) {
        const expected = decodeFloat32(reference.output);
        const ours = resample(referenceInput(reference), reference.fromRate, reference.toRate, { quality });
        expect(ours.length).toBe(expected.length);
        const { snr, maxError } = compare(ours, expected);
        const label = `${reference.signal} ${reference.fromRate}→${reference.toRate}`;
        // Same kernel as torchaudio: only its float32 kernel and accumulation separate us (measured 100–142 dB).
        expect(snr, label).toBeGreaterThan(95);
        expect(maxError, label).toBeLessThan(5e-5);
      }
    });
  }

  it('the fast and best settings differ measurably (the test above can tell them apart)', () => {
    const reference = loadReference('fast').find((c) => c.signal === 'sweep' && c.fromRate === 44100)!;
    const best = resample(referenceInput(reference), 44100, 16000, { quality: 'best' });
    expect(compare(best, decodeFloat32(reference.output)).snr).toBeLessThan(40);
  });

  it('removes tones above the new Nyquist by at least 60 dB and keeps the passband flat (best)', () => {
    for (const fromRate of [44100, 48000, 22050]) {
      for (const frequency of [8200, 9000, 10000]) {
        const out = resample(tone(frequency, fromRate, 0.5), fromRate, 16000);
        expect(levelDb(out, 1000), `${frequency} Hz from ${fromRate}`).toBeLessThan(-60);
      }
      for (const frequency of [1000, 5000, 7000]) {
        const out = resample(tone(frequency, fromRate, 0.5), fromRate, 16000);
        expect(Math.abs(levelDb(out, 1000)), `${frequency} Hz from ${fromRate}`).toBeLessThan(0.05);
      }
    }
  });

  it('upsampling 8 kHz → 16 kHz preserves a tone and creates no image above 4 kHz', () => {
    const out = resample(tone(1000, 8000, 0.5), 8000, 16000);
    expect(out.length).toBe(8000);
    expect(Math.abs(levelDb(out, 500))).toBeLessThan(0.05);
    // Compare with an ideal 1 kHz sine at 16 kHz: the residual (images, distortion) is tiny.
    const ideal = tone(1000, 16000, 0.5);
    expect(compare(out.subarray(500, 7500), ideal.subarray(500, 7500)).snr).toBeGreaterThan(80);
  });

  it('output length is ceil(length × to / from), and equal rates give a copy', () => {
    const input = new Float32Array(1001).fill(0.25);
    expect(resample(input, 44100, 16000).length).toBe(Math.ceil((1001 * 160) / 441));
    expect(resample(new Float32Array(0), 48000, 16000).length).toBe(0);
    const same = resample(input, 16000, 16000);
    expect(same).not.toBe(input);
    expect(Array.from(same)).toEqual(Array.from(input));
  });

  it('the WebAssembly SIMD kernel agrees with the scalar path across chunk boundaries and at the edges', () => {
    expect(simdKernel()).not.toBeNull();
    // 200 000 samples span several of the kernel's input chunks.
    const speech = Float32Array.from({ length: 200_000 }, (_, i) => speechClip[i % speechClip.length]);
    for (const quality of ['best', 'fast'] as const) {
      for (const [from, to] of [
        [44100, 16000],
        [48000, 16000],
        [8000, 16000],
        [16000, 44100],
        [12345, 16000],
      ]) {
        const simd = resample(speech, from, to, { quality });
        const scalar = resampleScalar(speech, from, to, { quality });
        expect(simd.length).toBe(scalar.length);
        expect(compare(simd, scalar).snr, `${quality} ${from}→${to}`).toBeGreaterThan(110);
      }
      for (const length of [1, 2, 7, 441, 442]) {
        const short = speech.slice(1000, 1000 + length);
        const simd = resample(short, 44100, 16000, { quality });
        expect(Array.from(simd).map((v) => v.toFixed(5))).toEqual(
          Array.from(resampleScalar(short, 44100, 16000, { quality })).map((v) => v.toFixed(5)),
        );
      }
    }
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => resample(new Float32Array(10), 44100.5, 16000)).toThrow(MmkitError);
    expect(() => resample(new Float32Array(10), 0, 16000)).toThrow(/positive integer/);
  });
});
