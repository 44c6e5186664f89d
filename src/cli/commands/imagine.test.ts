import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPngText } from '../../media/png-text.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit imagine', () => {
  let root: string;
  let model: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-imagine-cli-'));
    model = join(root, 'tiny-sd');
    const built = await runCli(['testkit', 'build', 'sd', model]);
    expect(built.code).toBe(0);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes width × height PNGs with provenance and prints the JSON report', async () => {
    const out = join(root, 'out');
    const args = ['imagine', 'a red apple', '--model', model, '--size', '128x64', '--steps', '4', '-n', '2'];
    const result = await runCli([
      ...args,
      '--seed',
      '11',
      '--scheduler',
      'euler',
      '--style',
      'sketch',
      '--out',
      out,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.images.map((image: { seed: number }) => image.seed)).toEqual([11, 12]);
    expect(report.images.every((image: { path: string }) => /^gen_\d{14}_[12]\.png$/.test(basename(image.path)))).toBe(
      true,
    );
    expect(report.prompt).toMatch(/^a red apple, pencil sketch, /);
    expect(report.scheduler).toBe('EulerDiscreteScheduler');
    expect([report.steps, report.guidance, report.warnings]).toEqual([4, 7.5, []]);
    expect(report.timings.totalMs).toBeGreaterThan(0);
    expect(report.peak_memory_bytes).toBeGreaterThan(0);
    expect((await readdir(out)).length).toBe(2);
    const png = await readFile(report.images[0].path);
    const metadata = await sharp(png).metadata();
    expect([metadata.width, metadata.height]).toEqual([128, 64]);
    const text = readPngText(png);
    expect([text.seed, text.steps, text.scheduler, text.model, text.style]).toEqual([
      '11',
      '4',
      'EulerDiscreteScheduler',
      model,
      'sketch',
    ]);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(150);
    expect(data[1]).toBeLessThan(80);
  });

  it.each([
    [
      ['--size', '100x64'],
      'mmkit: width must be a multiple of 8 (the VAE works on 8×8 pixel blocks), got 100; try 96 or 104',
    ],
    [
      ['--size', '512'],
      "mmkit: option '--size <WxH>' argument '512' is invalid. --size must be WIDTHxHEIGHT, e.g. 512x512 or 768x512, got '512'",
    ],
    [
      ['--steps', '0'],
      "mmkit: option '--steps <n>' argument '0' is invalid. --steps must be an integer ≥ 1 and ≤ 1000, got '0'",
    ],
    [
      ['--guidance', '-1'],
      "mmkit: option '--guidance <g>' argument '-1' is invalid. --guidance must be a number ≥ 0 and ≤ 100, got '-1'",
    ],
    [
      ['-n', '5'],
      "mmkit: option '-n, --count <count>' argument '5' is invalid. --count must be an integer ≥ 1 and ≤ 4, got '5'",
    ],
    [['--style', 'cubist'], /^mmkit: unknown style "cubist"; styles: photorealistic, /],
    [['--scheduler', 'heun'], /^mmkit: unknown scheduler "heun"; supported: /],
    [['--strength', '0.5'], 'mmkit: --strength is for image to image: give --image FILE to start from'],
    [
      ['--image', 'x.png', '--strength', '1.5'],
      "mmkit: option '--strength <s>' argument '1.5' is invalid. --strength must be a number ≥ 0 and ≤ 1, got '1.5'",
    ],
    [['--image', 'no-such-picture.png'], 'mmkit: no-such-picture.png: no such file'],
    [['--mask', 'mask.png'], 'mmkit: --mask is for inpainting: give --image FILE it applies to'],
  ])('%j fails with one line and writes nothing', async (extra, message) => {
    const out = join(root, `bad-${extra.join('')}`);
    const result = await runCli(['imagine', 'a red apple', '--model', model, '--out', out, ...extra]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const line = result.stderr.trimEnd();
    expect(line.split('\n')).toHaveLength(1);
    if (typeof message === 'string') expect(line).toBe(message);
    else expect(line).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('takes your own styles from the config file, and the model (with its scheduler) from its defaults', async () => {
    await mkdir(join(root, 'settings'));
    const config = join(root, 'settings', 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        defaults: { imageGeneration: { id: model, scheduler: 'ddim' } },
        styles: { 水墨: 'Chinese ink wash painting, monochrome, flowing brush strokes' },
      }),
    );
    const out = join(root, 'styled');
    const args = ['imagine', 'a red apple', '--style', '水墨', '--steps', '2', '--size', '64x64'];
    const result = await runCli([...args, '--config', config, '--out', out, '--json']);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(report.prompt).toContain('Chinese ink wash painting, monochrome, flowing brush strokes');
    expect(report.style).toBe('水墨');
    expect(report.scheduler).toBe('DDIMScheduler');
    // A scheduler chosen on the command line wins over the config's, for this call.
    const chosen = await runCli([...args, '--config', config, '--scheduler', 'euler-a', '--out', out, '--json']);
    expect(chosen.stderr).toBe('');
    expect(JSON.parse(chosen.stdout).scheduler).toBe('EulerAncestralDiscreteScheduler');
    const unknown = await runCli(['imagine', 'a red apple', '--style', '水墨', '--out', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^mmkit: unknown style "水墨"; styles: photorealistic/);
  });

  it('--image starts from a picture: its aspect ratio, kept blue at a low strength, reported in the JSON', async () => {
    const picture = join(root, 'blue.jpg');
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } } })
      .jpeg()
      .toFile(picture);
    const out = join(root, 'from-picture');
    const result = await runCli([
      'imagine',
      'a red apple',
      '--model',
      model,
      '--image',
      picture,
      '--strength',
      '0.2',
      '--steps',
      '10',
      '--guidance',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ start_image: picture, strength: 0.2, steps: 10 });
    // 96 × 64 at about 512 × 512 pixels, in multiples of 8.
    expect([report.images[0].width, report.images[0].height]).toEqual([624, 416]);
    const { data } = await sharp(report.images[0].path).raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    for (let index = 0; index < data.length; index += 3) if (data[index + 2]! > 150 && data[index]! < 100) blue++;
    expect(blue / (data.length / 3)).toBeGreaterThan(0.9);
  });

  it('an inpainting-trained model (testkit sd-inpainting) repaints where the mask is transparent', async () => {
    const inpainting = join(root, 'tiny-sd-inpainting');
    expect((await runCli(['testkit', 'build', 'sd-inpainting', inpainting])).code).toBe(0);
    const picture = join(root, 'blue-square.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } } })
      .png()
      .toFile(picture);
    const maskPixels = Buffer.alloc(64 * 64 * 4, 255);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) maskPixels[(y * 64 + x) * 4 + 3] = 0;
    const mask = join(root, 'left-half.png');
    await sharp(maskPixels, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toFile(mask);
    const out = join(root, 'inpainted');
    const args = ['imagine', 'a red apple', '--model', inpainting, '--image', picture, '--mask', mask];
    const result = await runCli([...args, '--size', '64x64', '--steps', '6', '--seed', '3', '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ mask, strength: 1 });
    const { data } = await sharp(report.images[0].path).raw().toBuffer({ resolveWithObject: true });
    const mean = (from: number, channel: number) => {
      let sum = 0;
      for (let y = 0; y < 64; y++) for (let x = from; x < from + 32; x++) sum += data[(y * 64 + x) * 3 + channel]!;
      return sum / (32 * 64);
    };
    expect(mean(0, 0) - mean(0, 2)).toBeGreaterThan(100);
    expect(mean(32, 2) - mean(32, 0)).toBeGreaterThan(150);
  });

  it('--image that is not a picture fails in one line and writes nothing', async () => {
    const notes = join(root, 'notes.txt');
    await writeFile(notes, 'not a picture');
    const out = join(root, 'never-from-notes');
    const result = await runCli(['imagine', 'a red apple', '--model', model, '--image', notes, '--out', out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/notes\.txt/);
    expect(existsSync(out)).toBe(false);
  });

  it('names a folder that is not a Stable Diffusion export', async () => {
    const result = await runCli(['imagine', 'a red apple', '--model', root, '--out', join(root, 'never')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd()).toBe(
      `mmkit: ${root} is not a model folder: it has none of config.json, model_index.json, tokenizer.json, tokenizer_config.json, onnx`,
    );
  });
});
