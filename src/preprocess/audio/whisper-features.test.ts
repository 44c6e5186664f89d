import { describe, expect, it } from 'vitest';
import { differences, readGolden, readPcm16Wav } from './test-support/fixtures.ts';
import { whisperLogMel, whisperLogMelWindows } from './whisper-features.ts';

describe('whisperLogMel on real speech', () => {
  for (const [clip, nMels] of [
    ['speech-0930', 80],
    ['speech-0880', 80],
    ['speech-0880', 128],
  ] as const) {
    it(`${clip}, ${nMels} mels: within 1e-3 (mean) of Whisper's algorithm in torch`, () => {
      const { samples } = readPcm16Wav(`${clip}.wav`);
      const golden = readGolden(`${clip}.whisper-${nMels}.npy`);
      const [goldenMels, goldenFrames] = golden.shape;
      expect(goldenMels).toBe(nMels);
      const features = whisperLogMel(samples, { nMels });
      expect(features.length).toBe(nMels * 3000);
      // The golden keeps the frames that hold speech; compare those, then the padding.
      const head = new Float32Array(nMels * goldenFrames);
      for (let mel = 0; mel < nMels; mel++) {
        head.set(features.subarray(mel * 3000, mel * 3000 + goldenFrames), mel * goldenFrames);
      }
      const { mean, max } = differences(head, golden.data);
      expect(mean).toBeLessThan(1e-3);
      // Measured: mean ≈ 2e-7, max ≈ 2e-5 (Whisper computes in float32).
      expect(mean).toBeLessThan(1e-5);
      expect(max).toBeLessThan(1e-3);
      // After the speech comes 30 s of zero padding: all at the clamp floor, (max − 8 + 4) / 4.
      const peak = golden.data.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
      const floor = peak - 2;
      for (let mel = 0; mel < nMels; mel += 17) {
        expect(features[mel * 3000 + 2999]).toBeCloseTo(floor, 3);
      }
    });
  }

  it('cuts audio longer than the window and honours nFrames', () => {
    const tone = Float32Array.from({ length: 40 * 16000 }, (_, i) => Math.sin(i / 3));
    expect(whisperLogMel(tone).length).toBe(80 * 3000);
    expect(whisperLogMel(tone.subarray(0, 16000), { nFrames: 100, nMels: 128 }).length).toBe(128 * 100);
    expect(() => whisperLogMel(tone, { nMels: 64 as 80 })).toThrow(/80 or 128/);
  });
});

describe('whisperLogMelWindows', () => {
  it('splits long audio into 30 s windows, each computed like one Whisper input', () => {
    const { samples } = readPcm16Wav('speech-0880.wav');
    // 65 s: the clip at 0 s, 30 s and 60 s (cut short there).
    const long = new Float32Array(65 * 16000);
    for (const second of [0, 30, 60])
      long.set(samples.subarray(0, Math.min(samples.length, 5 * 16000)), second * 16000);
    const windows = whisperLogMelWindows(long);
    expect(windows.map((w) => [w.startSeconds, w.sampleCount])).toEqual([
      [0, 480000],
      [30, 480000],
      [60, 80000],
    ]);
    const alone = whisperLogMel(samples);
    expect(differences(windows[0].features, alone).max).toBeLessThan(1e-6);
    expect(differences(windows[1].features, alone).max).toBeLessThan(1e-6);
    expect(differences(windows[2].features, alone).max).toBeLessThan(1e-6);
  });

  it('overlaps windows when the stride is shorter, and gives one window for short audio', () => {
    const audio = new Float32Array(50 * 16000).fill(0.01);
    expect(whisperLogMelWindows(audio, { strideSeconds: 25 }).map((w) => w.startSeconds)).toEqual([0, 25]);
    expect(whisperLogMelWindows(new Float32Array(100)).length).toBe(1);
    expect(() => whisperLogMelWindows(audio, { strideSeconds: 31 })).toThrow(RangeError);
  });
});
