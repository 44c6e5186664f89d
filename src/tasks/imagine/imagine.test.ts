import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { readPngText } from '../../media/png-text.ts';
import { OnnxImageGenerationModel } from '../../models/providers/onnx/diffusion/onnx-image-generation-model.ts';
import type { ImageGenerationModel, ImageGenerationRequest } from '../../models/spec/image-generation-model.ts';
import { version } from '../../version.ts';
import { DEFAULT_NEGATIVE_PROMPT, imagine } from './imagine.ts';

let directory: string;
let model: OnnxImageGenerationModel;
const fixedNow = () => new Date(2025, 0, 2, 3, 4, 5);

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-imagine-'));
  await buildTinyModel('sd', join(directory, 'tiny-sd'));
  model = await OnnxImageGenerationModel.load(join(directory, 'tiny-sd'));
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

const base = { width: 64, height: 64, steps: 8, now: fixedNow };

describe('imagine', () => {
  it('writes gen_<timestamp>_<i>.png, red for "a red apple", with provenance in text chunks', async () => {
    const outDir = join(directory, 'red');
    const result = await imagine({
      ...base,
      model,
      prompt: 'a red apple',
      seed: 7,
      count: 2,
      outDir,
      modelName: 'tiny-sd',
    });
    expect(result.images.map((image) => basename(image.path))).toEqual([
      'gen_20250102030405_1.png',
      'gen_20250102030405_2.png',
    ]);
    expect(result.images.map((image) => image.seed)).toEqual([7, 8]);
    const png = await readFile(result.images[0].path);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
    let red = 0;
    for (let index = 0; index < data.length; index += 3) if (data[index] > 150 && data[index + 1] < 80) red++;
    expect(red / (64 * 64)).toBeGreaterThan(0.9);
    expect(readPngText(png)).toEqual({
      prompt: 'a red apple',
      negative_prompt: DEFAULT_NEGATIVE_PROMPT,
      style: '',
      seed: '7',
      steps: '8',
      guidance: '7.5',
      scheduler: 'PNDMScheduler',
      model: 'tiny-sd',
      mmkit_version: version,
      size: '64x64',
      Software: `mmkit ${version}`,
    });
  });

  it('same seed → byte-identical PNG under a new name; another seed → different bytes', async () => {
    const outDir = join(directory, 'repeat');
    const first = await imagine({ ...base, model, prompt: 'a blue sky', seed: 3, outDir });
    const second = await imagine({ ...base, model, prompt: 'a blue sky', seed: 3, outDir });
    const other = await imagine({ ...base, model, prompt: 'a blue sky', seed: 4, outDir });
    expect((await readdir(outDir)).sort()).toEqual([
      'gen_20250102030405_1.png',
      'gen_20250102030405_1_2.png',
      'gen_20250102030405_1_3.png',
    ]);
    const bytes = await Promise.all([first, second, other].map((result) => readFile(result.images[0].path)));
    expect(bytes[1].equals(bytes[0])).toBe(true);
    expect(bytes[2].equals(bytes[0])).toBe(false);
  });

  it('applies the style, keeps a Chinese prompt in iTXt, and records the original prompt', async () => {
    const result = await imagine({
      ...base,
      model,
      prompt: '红色 red 苹果',
      style: '水彩',
      seed: 1,
      outDir: join(directory, 'style'),
    });
    expect(result.prompt).toBe(
      '红色 red 苹果, watercolor painting, soft colors, translucent, gentle brush strokes, high resolution, ultra detailed, sharp, no blur, no noise, high resolution',
    );
    const text = readPngText(await readFile(result.images[0].path));
    expect(text.prompt).toBe(result.prompt);
    expect(text.original_prompt).toBe('红色 red 苹果');
    expect(text.style).toBe('水彩');
  });

  it('passes on the warning when the prompt is cut to 77 tokens', async () => {
    const prompt = `a red ${'very '.repeat(80)}apple`;
    const result = await imagine({ ...base, model, prompt, seed: 1, steps: 2, outDir: join(directory, 'long') });
    expect(result.warnings).toEqual([
      expect.stringMatching(/^prompt is 85 tokens but the text encoder reads 77 .*truncated/),
    ]);
  });

  it("uses the model's recommended steps and guidance, else the seed's defaults", async () => {
    const requests: ImageGenerationRequest[] = [];
    const fake = (recommended?: ImageGenerationModel['recommended']): ImageGenerationModel => ({
      description: { id: 'fake', provider: 'test' },
      recommended,
      async generate(request) {
        requests.push(request);
        const pixels = new Uint8Array(request.width * request.height * 3);
        return {
          images: [{ width: request.width, height: request.height, pixels, seed: request.seed }],
          scheduler: 'Fake',
          timings: { totalMs: 1 },
        };
      },
    });
    const outDir = join(directory, 'fake');
    await imagine({ prompt: 'x', outDir, model: fake({ steps: 1, guidanceScale: 0 }) });
    const turbo = await imagine({
      prompt: 'x',
      negativePrompt: 'blue',
      outDir,
      model: fake({ steps: 1, guidanceScale: 0 }),
    });
    await imagine({ prompt: 'x', outDir, model: fake() });
    expect(requests.map(({ steps, guidanceScale, width, height }) => [steps, guidanceScale, width, height])).toEqual([
      [1, 0, 512, 512],
      [1, 0, 512, 512],
      [50, 7.5, 512, 512],
    ]);
    expect(requests[2].negativePrompt).toBe(DEFAULT_NEGATIVE_PROMPT);
    expect(turbo.warnings).toEqual(['the negative prompt has no effect: guidance is 0 (it needs guidance > 1)']);
    expect(Number.isInteger(requests[0].seed)).toBe(true);
  });

  it('rejects an empty prompt and an unknown style before running the model', async () => {
    await expect(imagine({ ...base, model, prompt: ' ', outDir: directory })).rejects.toThrow(
      'prompt must not be empty',
    );
    await expect(imagine({ ...base, model, prompt: 'x', style: 'cubist', outDir: directory })).rejects.toThrow(
      /^unknown style "cubist"/,
    );
  });
});
