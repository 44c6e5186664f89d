/** Test helpers: the committed speech fixtures and reference goldens (see fixtures/README.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeNpy } from '../../../media/npy.ts';

export const fixturesDirectory = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixturePath(name: string): string {
  return `${fixturesDirectory}${name}`;
}

/** A golden float32 array and its shape. */
export function readGolden(name: string): { data: Float32Array; shape: number[] } {
  const array = decodeNpy(readFileSync(fixturePath(`golden/${name}`)));
  if (array.dtype !== 'float32') throw new Error(`${name}: expected float32`);
  return { data: array.data as Float32Array, shape: array.shape };
}

/** 16-bit PCM mono WAV → samples / 32768 (enough for the 16 kHz fixtures without the decoder). */
export function readPcm16Wav(name: string): { samples: Float32Array; sampleRate: number } {
  const bytes = readFileSync(fixturePath(name));
  let offset = 12;
  let sampleRate = 0;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (
        bytes.readUInt16LE(offset + 8) !== 1 ||
        bytes.readUInt16LE(offset + 10) !== 1 ||
        bytes.readUInt16LE(offset + 22) !== 16
      ) {
        throw new Error(`${name}: not 16-bit PCM mono`);
      }
      sampleRate = bytes.readUInt32LE(offset + 12);
    } else if (id === 'data') {
      const samples = new Float32Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(offset + 8 + 2 * i) / 32768;
      return { samples, sampleRate };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${name}: no data chunk`);
}

/** Mean and maximum absolute difference between two arrays of the same length. */
export function differences(actual: ArrayLike<number>, expected: ArrayLike<number>): { mean: number; max: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const difference = Math.abs(actual[i] - expected[i]);
    sum += difference;
    if (difference > max) max = difference;
  }
  return { mean: sum / actual.length, max };
}
