import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../../testkit/build.ts';
import { writeModelFiles } from '../../../../../testkit/model-files.ts';
import { sdxlFiles } from '../../../../../testkit/sdxl.ts';
import { loadTextTokenizer } from '../../../../preprocess/text/tokenize.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { OnnxImageGenerationModel } from './onnx-image-generation-model.ts';
import { OnnxPart } from './onnx-part.ts';
import { encodeTextsXl } from './text-conditioning.ts';

let directory: string;
let folder: string;
let model: OnnxImageGenerationModel;

const request = (overrides: Partial<ImageGenerationRequest> = {}): ImageGenerationRequest => ({
  prompt: 'a red apple',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 0,
  count: 1,
  seed: 7,
  ...overrides,
});

function channelMeans(pixels: Uint8Array): number[] {
  const sums = [0, 0, 0];
  for (let index = 0; index < pixels.length; index++) sums[index % 3]! += pixels[index]!;
  return sums.map((sum) => sum / (pixels.length / 3));
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-sdxl-'));
  folder = join(directory, 'tiny-sdxl');
  await buildTinyModel('sdxl', folder);
  model = await OnnxImageGenerationModel.load(folder);
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe('Stable Diffusion XL (the tiny sdxl: two encoders, pooled vectors, size ids)', () => {
  it('paints "a red apple" red: both encoders\' penultimate layers, the pooled vector and the size ids reach the UNet', async () => {
    // The tiny UNet's colour is c₁ + c₂ − c_pooled: the last layer instead of the penultimate would
    // invert it (cyan), a missing pooled vector double it, missing size ids make it NaN.
    const result = await model.generate(request());
    // Without guidance the tiny model's red is softsign-compressed: clearly red, not saturated.
    const [red, green, blue] = channelMeans(result.images[0]!.pixels);
    expect(Math.abs(red! - 191)).toBeLessThan(5);
    expect(Math.abs(green! - 64)).toBeLessThan(5);
    expect(Math.abs(blue! - 64)).toBeLessThan(5);
    expect(model.recommended).toEqual({ steps: 1, guidanceScale: 0 });
    const blue2 = await model.generate(request({ prompt: 'a blue car', width: 128, steps: 1 }));
    expect(blue2.images[0]).toMatchObject({ width: 128, height: 64 });
    expect(channelMeans(blue2.images[0]!.pixels)[2]).toBeGreaterThan(170);
  });

  it('conditions on [penultimate₁ | penultimate₂] and the pooled vector; an absent negative prompt is zeros', async () => {
    const first = await OnnxPart.load('text encoder', join(folder, 'text_encoder', 'model.onnx'), {});
    const second = await OnnxPart.load('second text encoder', join(folder, 'text_encoder_2', 'model.onnx'), {});
    try {
      const encoded = await encodeTextsXl(
        { encoder: first, tokenizer: await loadTextTokenizer(join(folder, 'tokenizer')) },
        { encoder: second, tokenizer: await loadTextTokenizer(join(folder, 'tokenizer_2')) },
        [
          { text: '', label: 'negative prompt', zero: true },
          { text: 'red', label: 'prompt' },
        ],
      );
      expect([encoded.sequence, encoded.hiddenSize]).toEqual([77, 8]);
      // The prompt's second position is "red": (2r−1, 2g−1, 2b−1, 1) from each encoder, side by side.
      const red = Array.from(encoded.states[1]!.subarray(8, 16), (value) => Math.round(value * 100) / 100);
      expect(red.slice(0, 4)).toEqual(red.slice(4, 8));
      expect(red[3]).toBe(1);
      expect(red[0]).toBeGreaterThan(0.5);
      expect(Array.from(encoded.pooled[1]!, (value) => Math.round(value * 100) / 100)).toEqual(red.slice(0, 4));
      expect(encoded.states[0]!.every((value) => value === 0)).toBe(true);
      expect(encoded.pooled[0]!.every((value) => value === 0)).toBe(true);
    } finally {
      await Promise.all([first.release(), second.release()]);
    }
  });

  it('guides away from the zero negative with guidance (the colour gets stronger, not another one)', async () => {
    const plain = channelMeans((await model.generate(request({ steps: 2 }))).images[0]!.pixels);
    const guided = channelMeans((await model.generate(request({ steps: 2, guidanceScale: 3 }))).images[0]!.pixels);
    expect(guided[0]).toBeGreaterThan(plain[0]!);
    expect(guided[1]).toBeLessThan(plain[1]!);
  });

  it('recommends SDXL base its trained size, 1024 × 1024 (the turbo keeps its one step at the default size)', async () => {
    const base = join(directory, 'base');
    const files = sdxlFiles();
    const index = JSON.parse(String(files['model_index.json'])) as Record<string, unknown>;
    files['model_index.json'] = JSON.stringify({ ...index, _name_or_path: 'stabilityai/stable-diffusion-xl-base-1.0' });
    await writeModelFiles(base, files);
    const loaded = await OnnxImageGenerationModel.load(base);
    expect(loaded.recommended).toEqual({ width: 1024, height: 1024 });
    await loaded.dispose();
  });

  it('names a missing part of the XL pair', async () => {
    const broken = join(directory, 'no-second-tokenizer');
    const files = sdxlFiles();
    for (const name of Object.keys(files)) if (name.startsWith('tokenizer_2/')) delete files[name];
    await writeModelFiles(broken, files);
    await expect(OnnxImageGenerationModel.load(broken)).rejects.toMatchObject({
      code: 'model_incomplete',
      message: `${broken} is not a complete Stable Diffusion XL ONNX export: tokenizer_2/ is missing`,
    });
  });

  it('image to image: a blue picture stays blue at a low strength and turns red at full strength (its own latent scale)', async () => {
    const pixels = new Uint8Array(64 * 64 * 3);
    for (let index = 0; index < pixels.length; index++) pixels[index] = [30, 60, 220][index % 3]!;
    const image = { width: 64, height: 64, pixels };
    // The tiny model's "data" spreads only κ = 0.25 around the prompt's colour, so its denoiser pulls
    // hard at any noise level: the last of 20 trailing steps (t = 49) is low enough to keep the picture.
    const [kept] = (await model.generate(request({ image, steps: 20, strength: 0.05 }))).images;
    const [red, , blue] = channelMeans(kept!.pixels);
    expect(blue! - red!).toBeGreaterThan(100);
    const [redrawn] = (await model.generate(request({ image, strength: 1 }))).images;
    const [red2, , blue2] = channelMeans(redrawn!.pixels);
    expect(red2! - blue2!).toBeGreaterThan(100);
  });
});
