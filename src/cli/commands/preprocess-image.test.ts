import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../../media/npy.ts';
import { preprocessImage } from '../../preprocess/image/preprocess.ts';
import { fixturesDirectory } from '../../preprocess/image/test-support/golden.ts';
import { runCli } from '../test-support/run-cli.ts';

const rocket = `${fixturesDirectory}rocket.jpg`;
const retina = `${fixturesDirectory}retina.webp`;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-cli-image-'));
});

describe('mmkit preprocess image', () => {
  it('writes a float32 [N, 3, 224, 224] .npy equal to the library output, and --json describes it', async () => {
    const out = join(directory, 'batch.npy');
    const result = await runCli(['preprocess', 'image', rocket, retina, '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ shape: [2, 3, 224, 224], files: [rocket, retina], out });
    const array = decodeNpy(await readFile(out));
    expect(array.dtype).toBe('float32');
    expect(array.shape).toEqual([2, 3, 224, 224]);
    const second = await preprocessImage(retina);
    expect(array.data.subarray(3 * 224 * 224)).toEqual(second.data);
  });

  it('gives the same result through the worker pool (compiled worker, MMKIT_IMAGE_THREADS)', async () => {
    const names = ['rocket.jpg', 'hubble.jpg', 'retina.webp', 'coffee-two-frames.gif', 'chelsea-exif6.jpg'];
    const files = [...names, ...names].map((name) => `${fixturesDirectory}${name}`);
    const out = join(directory, 'pool.npy');
    const result = await runCli(['preprocess', 'image', ...files, '--out', out], { env: { MMKIT_IMAGE_THREADS: '2' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const array = decodeNpy(await readFile(out));
    expect(array.shape).toEqual([10, 3, 224, 224]);
    const plane = 3 * 224 * 224;
    const gif = await preprocessImage(files[3]);
    expect(array.data.subarray(3 * plane, 4 * plane)).toEqual(gif.data);
    expect(array.data.subarray(8 * plane, 9 * plane)).toEqual(gif.data);
  });

  it('takes --size and a SigLIP-style --processor', async () => {
    const processor = join(directory, 'preprocessor_config.json');
    await writeFile(
      processor,
      JSON.stringify({
        size: { height: 224, width: 224 },
        resample: 2,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
      }),
    );
    const out = join(directory, 'siglip.npy');
    const result = await runCli([
      'preprocess',
      'image',
      rocket,
      '--processor',
      directory,
      '--size',
      '96',
      '--out',
      out,
    ]);
    expect(result.code).toBe(0);
    const array = decodeNpy(await readFile(out));
    expect(array.shape).toEqual([1, 3, 96, 96]);
    // mean/std 0.5 puts every value in [−1, 1].
    const values = array.data as Float32Array;
    expect(Math.min(...values) >= -1 && Math.max(...values) <= 1).toBe(true);
  });

  it('names a bad file in one line, exits 1 and writes nothing', async () => {
    const broken = join(directory, 'broken.jpg');
    await writeFile(broken, (await readFile(rocket)).subarray(0, 5000));
    const out = join(directory, 'never.npy');
    const result = await runCli(['preprocess', 'image', rocket, broken, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mmkit: .*broken\.jpg: cannot decode image/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(directory).filter((name) => name.includes('never'))).toEqual([]);
  });

  it('refuses a bad processor config and a bad --size in one line', async () => {
    const processor = join(directory, 'bad.json');
    await writeFile(processor, JSON.stringify({ resample: 9 }));
    const bad = await runCli([
      'preprocess',
      'image',
      rocket,
      '--processor',
      processor,
      '--out',
      join(directory, 'x.npy'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mmkit: .*bad\.json: invalid preprocessor config: resample: .*\n$/);
    const size = await runCli(['preprocess', 'image', rocket, '--size', 'big', '--out', join(directory, 'x.npy')]);
    expect(size.code).not.toBe(0);
    expect(size.stderr).toMatch(/--size must be an integer/);
  });
});
