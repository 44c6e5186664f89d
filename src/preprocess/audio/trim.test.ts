import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { frameRms, trimSilence } from './trim.ts';
import { decodeWav } from './wav.ts';

const fixtures = new URL('./fixtures/', import.meta.url);

interface TrimCase {
  signal: string;
  topDb: number;
  frameLength: number;
  hopLength: number;
  length: number;
  start: number;
  end: number;
  frameDb?: number[];
}

const golden: TrimCase[] = JSON.parse(readFileSync(new URL('trim.golden.json', fixtures), 'utf8')).cases;

/** Rebuilds the reference script's signals (see tools/reference/audio_trim_reference.py). */
function buildSignal(signal: string): Float32Array {
  if (signal.startsWith('clip:')) {
    const name = signal.slice(5);
    return decodeWav(readFileSync(new URL(name, fixtures)), name)!.samples;
  }
  const rate = 16000;
  if (signal === 'tone-burst') {
    const noise = xorshiftNoise(40000);
    return Float32Array.from({ length: 40000 }, (_, n) => {
      const tone = n >= 8000 && n < 28000 ? 0.5 * Math.sin((2 * Math.PI * 440 * n) / rate) : 0;
      return tone + 1e-3 * noise[n];
    });
  }
  if (signal === 'decay') {
    return Float32Array.from({ length: 32000 }, (_, n) => {
      const t = (n - 3000) / rate;
      return n >= 3000 ? Math.exp(-t / 0.3) * Math.sin(2 * Math.PI * 1000 * t) : 0;
    });
  }
  if (signal === 'short') {
    return Float32Array.from({ length: 1000 }, (_, n) =>
      n >= 300 ? 0.3 * Math.sin((2 * Math.PI * 300 * n) / rate) : 0,
    );
  }
  throw new Error(`unknown signal ${signal}`);
}

function xorshiftNoise(length: number, seed = 12345): Float64Array {
  let state = seed >>> 0;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    state = (state ^ (state << 13)) >>> 0;
    state = (state ^ (state >>> 17)) >>> 0;
    state = (state ^ (state << 5)) >>> 0;
    out[i] = (state / 2 ** 32) * 2 - 1;
  }
  return out;
}

describe('trimSilence', () => {
  it('matches the librosa-definition golden on real speech and synthetic signals', () => {
    expect(golden.length).toBeGreaterThanOrEqual(10);
    for (const reference of golden) {
      const samples = buildSignal(reference.signal);
      expect(samples.length).toBe(reference.length);
      const { topDb, frameLength, hopLength } = reference;
      const result = trimSilence(samples, { topDb, frameLength, hopLength });
      const label = `${reference.signal} top_db ${topDb} frame ${frameLength} hop ${hopLength}`;
      expect([result.start, result.end], label).toEqual([reference.start, reference.end]);
      expect(result.samples.length).toBe(reference.end - reference.start);
      expect(result.samples[0]).toBe(samples[reference.start]);
    }
  });

  it('frame RMS in dB matches the reference frame by frame on real speech', () => {
    for (const reference of golden.filter((c) => c.frameDb)) {
      const rms = frameRms(buildSignal(reference.signal), reference.frameLength, reference.hopLength);
      expect(rms.length).toBe(reference.frameDb!.length);
      const loudest = Math.max(...rms);
      rms.forEach((value, frame) => {
        const db = 20 * Math.log10(Math.max(1e-5, value)) - 20 * Math.log10(loudest);
        expect(Math.abs(db - reference.frameDb![frame])).toBeLessThan(2e-3);
      });
    }
  });

  it('keeps speech, cuts the silence around it', () => {
    const speech = buildSignal('clip:speech-0880.wav');
    const padded = new Float32Array(speech.length + 32000);
    padded.set(speech, 16000);
    const result = trimSilence(padded);
    expect(result.start).toBeGreaterThan(16000);
    expect(result.end).toBeLessThan(16000 + speech.length);
  });

  it('all-silent audio is an error naming the input', () => {
    expect(() => trimSilence(new Float32Array(48000), { name: 'quiet.wav' })).toThrow(/quiet.wav: audio is all silent/);
    expect(() => trimSilence(new Float32Array(0))).toThrow(MmkitError);
    expect(() => trimSilence(new Float32Array(100).fill(1e-7))).toThrow(/all silent/);
  });

  it('rejects bad options', () => {
    expect(() => trimSilence(new Float32Array(10), { topDb: 0 })).toThrow(/topDb/);
    expect(() => trimSilence(new Float32Array(10), { hopLength: 1.5 })).toThrow(/hopLength/);
  });
});
