import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNpy } from '../../media/npy.ts';
import { clipImageConfig, type ImageProcessorConfig, parseImageProcessorConfig } from './config.ts';
import { PIL_RESAMPLE_CODES } from './filters.ts';
import { ImageWorkerPool } from './pool.ts';
import { preprocessImage, preprocessImages } from './preprocess.ts';
import { fixturesDirectory, type GoldenCase, goldenCases, parity, readGolden } from './test-support/golden.ts';

const siglipConfig = parseImageProcessorConfig({
  do_resize: true,
  size: { height: 224, width: 224 },
  resample: 2,
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
});

function configFor(testCase: GoldenCase): ImageProcessorConfig {
  if (testCase.kind === 'siglip') return siglipConfig;
  const config = clipImageConfig(testCase.size ?? 224);
  return testCase.resample === undefined ? config : { ...config, resample: PIL_RESAMPLE_CODES[testCase.resample] };
}

/** Inputs whose decoding is lossless, so any difference would be ours. */
const lossless = (name: string) => /\.(png|gif)$/.test(name);

describe('image preprocessing parity with PIL + torchvision', () => {
  const cases = goldenCases();

  it('has a golden for every input format', () => {
    const inputs = new Set(cases.map((testCase) => testCase.input.split('.').pop()));
    expect([...inputs].sort()).toEqual(['gif', 'jpg', 'png', 'webp']);
    expect(cases.filter((testCase) => testCase.kind === 'clip').length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases.map((testCase) => [testCase.golden, testCase] as const))(
    '%s: mean ≤ 0.01 and p99 ≤ 0.05',
    async (_, testCase) => {
      const config = configFor(testCase);
      const ours = await preprocessImage(`${fixturesDirectory}${testCase.input}`, { config });
      const golden = await readGolden(testCase.golden);
      expect(ours.shape).toEqual([3, golden.height, golden.width]);
      const figures = parity(ours, golden, config);
      console.log(
        `${testCase.golden}: mean ${figures.mean.toFixed(5)} p99 ${figures.p99.toFixed(5)} max ${figures.max.toFixed(4)} exact ${(figures.exact * 100).toFixed(2)}%`,
      );
      expect(figures.mean).toBeLessThanOrEqual(0.01);
      expect(figures.p99).toBeLessThanOrEqual(0.05);
      // Lossless inputs decode identically everywhere, so the resampler must match PIL bit for bit.
      if (lossless(testCase.input)) expect(figures.exact).toBe(1);
    },
  );

  it("matches torchvision's normalised floats (ToTensor + Normalize), not just the bytes", async () => {
    const reference = decodeNpy(readFileSync(`${fixturesDirectory}astronaut-palette-48.normalised.npy`));
    expect(reference.shape).toEqual([3, 48, 48]);
    const ours = await preprocessImage(`${fixturesDirectory}astronaut-palette.png`, { config: clipImageConfig(48) });
    let worst = 0;
    for (let i = 0; i < ours.data.length; i++)
      worst = Math.max(worst, Math.abs(ours.data[i] - Number(reference.data[i])));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('preprocessImages', () => {
  const files = ['rocket.jpg', 'retina.webp', 'coffee-two-frames.gif'].map((name) => `${fixturesDirectory}${name}`);

  it('stacks a batch in input order, the same on the main thread and in a worker pool', async () => {
    const single = await preprocessImages(files, { threads: 0 });
    expect(single.shape).toEqual([3, 3, 224, 224]);
    const plane = 3 * 224 * 224;
    const second = await preprocessImage(files[1]);
    expect(single.data.subarray(plane, 2 * plane)).toEqual(second.data);
    const pooled = await preprocessImages(files, { threads: 2 });
    expect(pooled.shape).toEqual(single.shape);
    expect(pooled.data).toEqual(single.data);
  });

  it('reports the first bad input by name, from the pool too', async () => {
    const bad = `${fixturesDirectory}manifest.json`;
    const pool = new ImageWorkerPool(2);
    try {
      await expect(preprocessImages([files[0], bad, files[1]], { threads: pool })).rejects.toThrow(
        /manifest\.json: .*(unsupported|not a readable)/,
      );
      // The pool survives a failed batch.
      const batch = await preprocessImages(files, { threads: pool });
      expect(batch.shape[0]).toBe(3);
    } finally {
      await pool.close();
    }
  });

  it('refuses a batch whose images end up different sizes', async () => {
    const noCrop = parseImageProcessorConfig({ size: { shortest_edge: 64 }, do_center_crop: false });
    await expect(preprocessImages(files, { config: noCrop, threads: 0 })).rejects.toThrow(
      /retina\.webp: preprocessed to 64×64/,
    );
  });
});
