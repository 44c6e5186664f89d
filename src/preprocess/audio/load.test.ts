import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio } from './load.ts';
import { correlation, maxAbsoluteDifference } from './test-support/signals.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string) => join(fixtures, name);

/** The 16 kHz source, read independently of our parser: int16 samples after the 44-byte header. */
function sourceSamples(): Float32Array {
  const bytes = readFileSync(fixture('speech-0880.wav'));
  const count = (bytes.length - 44) / 2;
  return Float32Array.from({ length: count }, (_, i) => bytes.readInt16LE(44 + 2 * i) / 32768);
}
const source = sourceSamples();

const scratch = mkdtempSync(join(tmpdir(), 'mmkit-load-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('loadAudio: lossless formats reproduce the 16 kHz source', () => {
  it('16-bit WAV exactly', async () => {
    const audio = await loadAudio(fixture('speech-0880.wav'));
    expect(audio).toMatchObject({ sampleRate: 16000, originalSampleRate: 16000, channels: 1, container: 'wav' });
    expect(audio.durationSeconds).toBeCloseTo(2.99, 6);
    expect(Array.from(audio.samples)).toEqual(Array.from(source));
  });

  it('FLAC exactly (through ffmpeg)', async () => {
    const audio = await loadAudio(fixture('speech-0880.flac'));
    expect(audio).toMatchObject({ sampleRate: 16000, channels: 1, container: 'flac' });
    expect(audio.samples.length).toBe(source.length);
    expect(maxAbsoluteDifference(audio.samples, source)).toBe(0);
  });

  it('32-bit float WAV exactly, 8-bit WAV to its quantisation step', async () => {
    const float = await loadAudio(fixture('speech-0880-f32.wav'));
    expect(float.samples.length).toBe(32000);
    expect(maxAbsoluteDifference(float.samples, source)).toBe(0);
    const eightBit = await loadAudio(fixture('speech-0880-u8.wav'));
    expect(eightBit.samples.length).toBe(source.length);
    expect(maxAbsoluteDifference(eightBit.samples, source)).toBeLessThanOrEqual(1 / 128);
  });

  it('24-bit 48 kHz WAV resampled to 16 kHz matches the source span it was cut from', async () => {
    const audio = await loadAudio(fixture('speech-0880-48k-s24.wav'), { sampleRate: 16000 });
    expect(audio).toMatchObject({ sampleRate: 16000, originalSampleRate: 48000, channels: 1 });
    expect(audio.durationSeconds).toBeCloseTo(1, 6);
    expect(audio.samples.length).toBe(16000);
    // Cut at 0.5 s: up- then down-sampling by two band-limited resamplers leaves the waveform intact.
    const { correlation: r, gain } = correlation(audio.samples.subarray(200, 15800), source, 8200);
    expect(r).toBeGreaterThan(0.999);
    expect(gain).toBeCloseTo(1, 2);
  });
});

describe('loadAudio: lossy formats through ffmpeg', () => {
  const cases = [
    { file: 'speech-0880.mp3', container: 'mp3', rate: 44100, channels: 2, minCorrelation: 0.99 },
    { file: 'speech-0880.ogg', container: 'ogg', rate: 16000, channels: 1, minCorrelation: 0.97 },
    { file: 'speech-0880.opus', container: 'ogg', rate: 48000, channels: 1, minCorrelation: 0.95 },
    { file: 'speech-0880.webm', container: 'webm', rate: 48000, channels: 1, minCorrelation: 0.95 },
    { file: 'speech-0880.m4a', container: 'mp4', rate: 16000, channels: 1, minCorrelation: 0.99 },
  ];
  for (const { file, container, rate, channels, minCorrelation } of cases) {
    it(`${file}: ${container}, ${rate} Hz, ${channels} channel(s), the source's duration and waveform`, async () => {
      const audio = await loadAudio(fixture(file), { sampleRate: 16000 });
      expect(audio).toMatchObject({ container, originalSampleRate: rate, channels, sampleRate: 16000 });
      expect(Math.abs(audio.durationSeconds - 2.99)).toBeLessThan(0.03);
      expect(Math.abs(audio.samples.length - source.length)).toBeLessThan(0.03 * 16000);
      expect(correlation(audio.samples, source).correlation).toBeGreaterThan(minCorrelation);
    });
  }

  it('averages the channels (MP3 with the right channel at half amplitude → about 0.75 × source)', async () => {
    const audio = await loadAudio(fixture('speech-0880.mp3'), { sampleRate: 16000 });
    const { gain } = correlation(audio.samples, source);
    expect(gain).toBeGreaterThan(0.65);
    expect(gain).toBeLessThan(0.8);
  });
});

describe('loadAudio: the container comes from the bytes, not the name', () => {
  it('an MP3 named .wav and a WAV named .mp3', async () => {
    const mp3AsWav = join(scratch, 'really-an-mp3.wav');
    copyFileSync(fixture('speech-0880.mp3'), mp3AsWav);
    expect((await loadAudio(mp3AsWav)).container).toBe('mp3');
    const wavAsMp3 = join(scratch, 'really-a-wav.mp3');
    copyFileSync(fixture('speech-0880.wav'), wavAsMp3);
    const audio = await loadAudio(wavAsMp3);
    expect(audio.container).toBe('wav');
    expect(Array.from(audio.samples)).toEqual(Array.from(source));
  });

  it('bytes input: FLAC and WebM through stdin, M4A through a temporary file that is removed', async () => {
    const flac = await loadAudio(readFileSync(fixture('speech-0880.flac')));
    expect(maxAbsoluteDifference(flac.samples, source)).toBe(0);
    const webm = await loadAudio(new Uint8Array(readFileSync(fixture('speech-0880.webm'))), { sampleRate: 16000 });
    expect(webm.container).toBe('webm');
    const privateTemp = mkdtempSync(join(scratch, 'tmp-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = privateTemp;
    try {
      const m4a = await loadAudio(readFileSync(fixture('speech-0880.m4a')), { sampleRate: 16000 });
      expect(m4a.container).toBe('mp4');
      expect(correlation(m4a.samples, source).correlation).toBeGreaterThan(0.99);
    } finally {
      process.env.TMPDIR = previous;
    }
    expect(readdirSync(privateTemp)).toEqual([]);
  });

  it('resamples with the fast setting on request, and keeps the native rate when none is given', async () => {
    const native = await loadAudio(fixture('speech-0880.opus'));
    expect(native.sampleRate).toBe(48000);
    expect(native.samples.length).toBe(Math.round(native.durationSeconds * 48000));
    const fast = await loadAudio(fixture('speech-0880.opus'), { sampleRate: 16000, quality: 'fast' });
    const best = await loadAudio(fixture('speech-0880.opus'), { sampleRate: 16000 });
    expect(correlation(fast.samples, best.samples).correlation).toBeGreaterThan(0.999);
    expect(maxAbsoluteDifference(fast.samples, best.samples)).toBeGreaterThan(0);
  });
});
