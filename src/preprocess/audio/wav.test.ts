import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { sniffAudioContainer } from './sniff.ts';
import { encodeWav, type WavEncoding } from './test-support/encode-wav.ts';
import { decodeWav } from './wav.ts';

/** Two distinct channels: a ramp over the whole range and a slower sine. */
const left = Float32Array.from({ length: 1000 }, (_, i) => -1 + (2 * i) / 1000);
const right = Float32Array.from({ length: 1000 }, (_, i) => 0.5 * Math.sin(i / 20));

const layouts: Array<{ label: string; encoding: WavEncoding; tolerance: number }> = [
  { label: '8-bit unsigned', encoding: { sampleRate: 8000, encoding: 'pcm', bits: 8 }, tolerance: 1 / 128 },
  { label: '16-bit', encoding: { sampleRate: 16000, encoding: 'pcm', bits: 16 }, tolerance: 1 / 32768 },
  { label: '24-bit', encoding: { sampleRate: 48000, encoding: 'pcm', bits: 24 }, tolerance: 2 ** -23 },
  { label: '32-bit int', encoding: { sampleRate: 44100, encoding: 'pcm', bits: 32 }, tolerance: 1e-7 },
  { label: '32-bit float', encoding: { sampleRate: 22050, encoding: 'float', bits: 32 }, tolerance: 1e-7 },
  { label: '64-bit float', encoding: { sampleRate: 96000, encoding: 'float', bits: 64 }, tolerance: 1e-7 },
  {
    label: '24-bit extensible with an odd-sized extra chunk',
    encoding: { sampleRate: 48000, encoding: 'pcm', bits: 24, extensible: true, extraChunk: true },
    tolerance: 2 ** -23,
  },
  {
    label: 'float extensible',
    encoding: { sampleRate: 32000, encoding: 'float', bits: 32, extensible: true },
    tolerance: 1e-7,
  },
];

describe('decodeWav', () => {
  for (const { label, encoding, tolerance } of layouts) {
    it(`${label}: rate, channel count, and mono = the average of the channels`, () => {
      const decoded = decodeWav(encodeWav([left, right], encoding), 'test.wav')!;
      expect(decoded.sampleRate).toBe(encoding.sampleRate);
      expect(decoded.channels).toBe(2);
      expect(decoded.samples.length).toBe(1000);
      for (let i = 0; i < 1000; i++) {
        const expected = (left[i] + right[i]) / 2;
        expect(Math.abs(decoded.samples[i] - expected), `sample ${i}`).toBeLessThanOrEqual(tolerance + 1e-7);
      }
    });
  }

  it('mono 24-bit keeps the sign of negative samples and full scale', () => {
    const values = Float32Array.from([-1, -0.5, -(2 ** -23), 0, 2 ** -23, 0.5, 1 - 2 ** -23]);
    const decoded = decodeWav(encodeWav([values], { sampleRate: 8000, encoding: 'pcm', bits: 24 }), 't')!;
    expect(Array.from(decoded.samples)).toEqual(Array.from(values));
  });

  it('hands encodings it does not parse (µ-law) to the caller as null', () => {
    const bytes = encodeWav([new Float32Array(10)], { sampleRate: 8000, encoding: 'pcm', bits: 8 });
    new DataView(bytes.buffer).setUint16(20, 7, true);
    expect(decodeWav(bytes, 'mulaw.wav')).toBeNull();
  });

  it('reads streaming headers (size 0xFFFFFFFF) to the end of the file', () => {
    const bytes = encodeWav([left], { sampleRate: 16000, encoding: 'float', bits: 32 });
    const view = new DataView(bytes.buffer);
    view.setUint32(4, 0xffffffff, true);
    view.setUint32(40, 0xffffffff, true);
    expect(decodeWav(bytes, 'stream.wav')!.samples.length).toBe(1000);
  });

  it('truncated or malformed files are errors naming the file', () => {
    const bytes = encodeWav([left], { sampleRate: 16000, encoding: 'pcm', bits: 16 });
    expect(() => decodeWav(bytes.subarray(0, 1000), 'cut.wav')).toThrow(/cut.wav: truncated WAV file \(data chunk/);
    expect(() => decodeWav(bytes.subarray(0, 30), 'head.wav')).toThrow(/head.wav: truncated/);
    expect(() => decodeWav(bytes.subarray(0, 8), 'tiny.wav')).toThrow(MmkitError);
    const noChannels = bytes.slice();
    new DataView(noChannels.buffer).setUint16(22, 0, true);
    expect(() => decodeWav(noChannels, 'bad.wav')).toThrow(/bad.wav: malformed WAV format/);
  });
});

describe('sniffAudioContainer', () => {
  const ascii = (text: string, length = 16) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  };
  it('recognises each container by its magic bytes', () => {
    expect(sniffAudioContainer(ascii('RIFF\0\0\0\0WAVE'))).toBe('wav');
    expect(sniffAudioContainer(ascii('fLaC'))).toBe('flac');
    expect(sniffAudioContainer(ascii('OggS'))).toBe('ogg');
    expect(sniffAudioContainer(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toBe('webm');
    expect(sniffAudioContainer(ascii('\0\0\0\x1cftypM4A '))).toBe('mp4');
    expect(sniffAudioContainer(ascii('ID3\x04'))).toBe('mp3');
    expect(sniffAudioContainer(Uint8Array.from([0xff, 0xfb, 0x90, 0x64]))).toBe('mp3');
    expect(sniffAudioContainer(Uint8Array.from([0xff, 0xf1, 0x50, 0x80]))).toBe('aac');
    expect(sniffAudioContainer(ascii('FORM\0\0\0\0AIFF'))).toBe('aiff');
  });
  it('rejects everything else', () => {
    expect(sniffAudioContainer(ascii('RIFF\0\0\0\0AVI '))).toBeNull();
    expect(sniffAudioContainer(ascii('%PDF-1.4'))).toBeNull();
    expect(sniffAudioContainer(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
    expect(sniffAudioContainer(new Uint8Array(0))).toBeNull();
  });
});
