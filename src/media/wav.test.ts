import { describe, expect, it } from 'vitest';
import { encodeWav } from './wav.ts';

describe('encodeWav', () => {
  it('writes a 16-bit mono PCM header and clipped samples', () => {
    const wav = encodeWav(new Float32Array([0, 0.5, -1, 2, -2]), 16000);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.readUInt32LE(40)).toBe(10);
    const samples = [0, 1, 2, 3, 4].map((i) => wav.readInt16LE(44 + i * 2));
    expect(samples).toEqual([0, 16384, -32768, 32767, -32768]);
  });
});
