import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { preprocessAudio } from './preprocess-audio.ts';
import { differences, fixturePath, readGolden } from './test-support/fixtures.ts';

/** The first `frames` columns of item `index` of an [N, nMels, maxFrames] batch, as [nMels, frames]. */
function head(data: Float32Array, index: number, nMels: number, maxFrames: number, frames: number): Float32Array {
  const out = new Float32Array(nMels * frames);
  for (let mel = 0; mel < nMels; mel++) {
    const start = (index * nMels + mel) * maxFrames;
    out.set(data.subarray(start, start + frames), mel * frames);
  }
  return out;
}

describe('preprocessAudio against the torchaudio/numpy reference (decode → resample → trim → mel → dB)', () => {
  for (const [file, tolerance] of [
    ['speech-0930.wav', 0.1],
    ['speech-0880.wav', 0.1],
    ['speech-0880.mp3', 0.5],
    ['speech-0880-48k-s24.wav', 0.5],
  ] as const) {
    it(`${file}: mean difference ≤ ${tolerance} dB, same frame count, silence after the end`, async () => {
      const golden = readGolden(`pipeline-${file}.npy`);
      const [nMels, frames] = golden.shape;
      const batch = await preprocessAudio([fixturePath(file)]);
      expect(batch.shape).toEqual([1, 80, 3000]);
      expect(batch.items[0].frames).toBe(frames);
      const { mean } = differences(head(batch.data, 0, nMels, 3000, frames), golden.data);
      expect(mean).toBeLessThanOrEqual(tolerance);
      // Measured: 0 dB for 16 kHz input (bit-identical path), 0.06 dB where resampling differs.
      expect(mean).toBeLessThanOrEqual(tolerance === 0.1 ? 1e-3 : 0.15);
      const minimum = batch.data.reduce((a, b) => Math.min(a, b), 0);
      expect(minimum).toBeLessThan(-40);
      expect(batch.data[frames]).toBe(minimum);
      expect(batch.data[nMels * 3000 - 1]).toBe(minimum);
    });
  }

  for (const file of ['speech-0880.mp3', 'speech-0880-48k-s24.wav']) {
    it(`${file} without trimming: mean difference ≤ 0.5 dB`, async () => {
      const golden = readGolden(`pipeline-${file}.no-trim.npy`);
      const [nMels, frames] = golden.shape;
      const batch = await preprocessAudio([fixturePath(file)], { trim: false });
      expect(batch.items[0].frames).toBe(frames);
      expect(differences(head(batch.data, 0, nMels, 3000, frames), golden.data).mean).toBeLessThanOrEqual(0.5);
    });
  }
});

describe('preprocessAudio', () => {
  it('stacks a batch in input order, with its options', async () => {
    const files = [fixturePath('speech-0880.wav'), fixturePath('speech-0930.wav')];
    const options = { maxFrames: 100, nMels: 64, padValue: -100 } as const;
    const batch = await preprocessAudio(files, options);
    expect(batch.shape).toEqual([2, 64, 100]);
    const second = await preprocessAudio([files[1]], options);
    expect(batch.data.subarray(64 * 100)).toEqual(second.data);
    // 0880 is shorter than 100 frames once trimmed: padded with the value asked for.
    expect(batch.items[0].frames).toBeLessThan(100);
    expect(batch.data[99]).toBe(-100);
    expect(batch.items.map((item) => item.name)).toEqual(files);
  });

  it('names the file and the reason for unreadable input, and checks options', async () => {
    const error = await preprocessAudio([fixturePath('README.md')]).catch((caught: unknown) => caught);
    expect(isMmkitError(error)).toBe(true);
    expect((error as Error).message).toContain('README.md');
    await expect(preprocessAudio([fixturePath('missing.wav')])).rejects.toThrow(/missing\.wav/);
    await expect(preprocessAudio([fixturePath('speech-0880.wav')], { fmax: 9000 })).rejects.toThrow(/Nyquist/);
    await expect(preprocessAudio([])).rejects.toThrow(/no audio/);
  });
});
