import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../../testkit/build.ts';
import { writeModelFiles } from '../../../../../testkit/model-files.ts';
import { sdFiles } from '../../../../../testkit/sd.ts';
import { isMmkitError } from '../../../../errors.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { OnnxImageGenerationModel } from './onnx-image-generation-model.ts';

let directory: string;
let modelFolder: string;
let model: OnnxImageGenerationModel;

const request = (overrides: Partial<ImageGenerationRequest> = {}): ImageGenerationRequest => ({
  prompt: 'a red apple',
  negativePrompt: 'low quality, blurry, ugly, deformed, watermark',
  width: 64,
  height: 64,
  steps: 10,
  guidanceScale: 7.5,
  count: 1,
  seed: 42,
  ...overrides,
});

/** Mean of each RGB channel. */
function channelMeans(pixels: Uint8Array): number[] {
  const sums = [0, 0, 0];
  for (let index = 0; index < pixels.length; index++) sums[index % 3] += pixels[index];
  return sums.map((sum) => sum / (pixels.length / 3));
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-sd-'));
  modelFolder = join(directory, 'tiny-sd');
  await buildTinyModel('sd', modelFolder);
  model = await OnnxImageGenerationModel.load(modelFolder);
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe('OnnxImageGenerationModel on the tiny sd model', () => {
  it('paints "a red apple" red, with the scheduler model_index.json names and no model defaults', async () => {
    const result = await model.generate(request());
    expect(result.scheduler).toBe('PNDMScheduler');
    expect(model.recommended).toBeUndefined();
    const [image] = result.images;
    expect([image.width, image.height, image.pixels.length, image.seed]).toEqual([64, 64, 64 * 64 * 3, 42]);
    const [red, green, blue] = channelMeans(image.pixels);
    expect(red).toBeGreaterThan(200);
    expect(green).toBeLessThan(40);
    expect(blue).toBeLessThan(40);
    // PNDM: 10 steps take 11 UNet calls; guidance batches both prompts into each call.
    expect(result.timings.unetCalls).toBe(11);
    expect(result.peakMemoryBytes).toBeGreaterThan(10_000_000);
    expect(result.timings.onnxMs).toBeLessThanOrEqual(result.timings.totalMs);
  });

  it('size is width × height', async () => {
    const [image] = (await model.generate(request({ width: 128, height: 64, steps: 2 }))).images;
    expect([image.width, image.height]).toEqual([128, 64]);
  });

  it('same seed → identical pixels; each image of a batch has its own seed', async () => {
    const first = await model.generate(request({ count: 2, steps: 5 }));
    const again = await model.generate(request({ count: 2, steps: 5 }));
    expect(Buffer.from(again.images[0].pixels).equals(Buffer.from(first.images[0].pixels))).toBe(true);
    expect(Buffer.from(again.images[1].pixels).equals(Buffer.from(first.images[1].pixels))).toBe(true);
    expect(first.images.map((image) => image.seed)).toEqual([42, 43]);
    expect(Buffer.from(first.images[1].pixels).equals(Buffer.from(first.images[0].pixels))).toBe(false);
    // Image 1 of seed 42 is image 0 of seed 43.
    const single = await model.generate(request({ seed: 43, steps: 5 }));
    expect(Buffer.from(single.images[0].pixels).equals(Buffer.from(first.images[1].pixels))).toBe(true);
  });

  it('the negative prompt pushes away from its colour', async () => {
    const plain = channelMeans(
      (await model.generate(request({ negativePrompt: '', guidanceScale: 1.5 }))).images[0].pixels,
    );
    const away = channelMeans(
      (await model.generate(request({ negativePrompt: 'yellow', guidanceScale: 1.5 }))).images[0].pixels,
    );
    expect(away[1]).toBeLessThan(plain[1] - 5);
  });

  it('guidance ≤ 1 runs only the conditional branch', async () => {
    const result = await model.generate(request({ guidanceScale: 1, negativePrompt: 'red', steps: 4 }));
    const [red] = channelMeans(result.images[0].pixels);
    expect(red).toBeGreaterThan(150);
  });

  it('splitting the UNet batch and slicing the VAE change nothing', async () => {
    const sliced = await OnnxImageGenerationModel.load(modelFolder, { maxUnetBatch: 1, vaeSlicing: true });
    try {
      const reference = await model.generate(request({ count: 2, steps: 3 }));
      const result = await sliced.generate(request({ count: 2, steps: 3 }));
      expect(result.timings.unetCalls).toBe(4 * 4);
      result.images.forEach((image, index) => {
        expect(Buffer.from(image.pixels).equals(Buffer.from(reference.images[index].pixels))).toBe(true);
      });
    } finally {
      await sliced.dispose();
    }
  });

  it('stops between steps when aborted', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const outcome = model.generate(
      request({
        steps: 20,
        signal: controller.signal,
        onProgress: ({ step }) => {
          seen.push(step);
          if (step === 3) controller.abort();
        },
      }),
    );
    await expect(outcome).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('reports progress once per UNet step', async () => {
    const seen: string[] = [];
    await model.generate(
      request({ steps: 3, onProgress: ({ step, totalSteps }) => seen.push(`${step}/${totalSteps}`) }),
    );
    expect(seen).toEqual(['1/4', '2/4', '3/4', '4/4']);
  });

  it('warns when the prompt is cut to 77 tokens', async () => {
    const words = Array.from({ length: 90 }, (_, index) => (index === 85 ? 'blue' : 'apple')).join(' ');
    const result = await model.generate(request({ prompt: `red ${words}`, steps: 2 }));
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(
      /^prompt is 93 tokens but the text encoder reads 77 .*truncated, dropping "apple .*blue/,
    );
    // The dropped "blue" does not tint the image.
    expect(channelMeans(result.images[0].pixels)[2]).toBeLessThan(40);
  });

  it.each([
    [{ width: 100 }, 'width must be a multiple of 8 (the VAE works on 8×8 pixel blocks), got 100; try 96 or 104'],
    [{ height: 32 }, 'height must be an integer from 64 to 2048 pixels, got 32'],
    [{ steps: 0 }, 'steps must be an integer from 1 to 1000, got 0'],
    [{ guidanceScale: -1 }, 'guidance must be a number from 0 to 100 (≤ 1 turns guidance off), got -1'],
    [{ count: 5 }, 'count must be an integer from 1 to 4, got 5'],
    [{ prompt: '  ' }, 'prompt must not be empty'],
  ] as const)('rejects %o with a one-line error', async (overrides, message) => {
    const error = await model.generate(request(overrides)).catch((caught) => caught);
    expect(isMmkitError(error)).toBe(true);
    expect(error.message).toBe(message);
  });

  it('names a missing model part', async () => {
    const broken = join(directory, 'broken');
    const files = sdFiles();
    delete files['unet/model.onnx'];
    await writeModelFiles(broken, files);
    const error = await OnnxImageGenerationModel.load(broken).catch((caught) => caught);
    expect(isMmkitError(error)).toBe(true);
    expect(error.message).toBe(`${broken} is not a complete Stable Diffusion ONNX export: unet/model.onnx is missing`);
  });

  it.each([
    [
      {
        _class_name: 'StableDiffusionXLImg2ImgPipeline',
        text_encoder: undefined,
        text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
      },
      'an SDXL refiner (image-to-image) pipeline (StableDiffusionXLImg2ImgPipeline)',
    ],
    [
      { _class_name: 'StableDiffusion3Pipeline', transformer: ['diffusers', 'SD3Transformer2DModel'] },
      'a diffusion-transformer (SD3/Flux-style) pipeline (StableDiffusion3Pipeline)',
    ],
  ])('refuses other pipeline families in one line (%o)', async (index, family) => {
    const other = join(directory, `other-${family.length}`);
    const files = sdFiles();
    const original = JSON.parse(String(files['model_index.json'])) as object;
    files['model_index.json'] = JSON.stringify({ ...original, ...index });
    await writeModelFiles(other, files);
    const error = await OnnxImageGenerationModel.load(other).catch((caught) => caught);
    expect(error).toMatchObject({ code: 'unsupported_architecture' });
    expect(error.message).toBe(
      `${other} holds ${family}; mmkit runs Stable Diffusion 1.x/2.x and XL text-to-image exports (e.g. onnxruntime/sd-turbo, stabilityai/sdxl-turbo)`,
    );
  });
});

describe.each([
  ['pndm', 'PNDMScheduler', 10, 11],
  ['ddim', 'DDIMScheduler', 10, 10],
  ['euler', 'EulerDiscreteScheduler', 10, 10],
  ['euler-a', 'EulerAncestralDiscreteScheduler', 10, 10],
  ['dpm++2m', 'DPMSolverMultistepScheduler', 10, 10],
  ['lcm', 'LCMScheduler', 4, 4],
] as const)('scheduler %s end to end', (alias, className, steps, calls) => {
  it(`runs ${steps} steps and paints "a green field" green`, async () => {
    const scheduled = await OnnxImageGenerationModel.load(modelFolder, { scheduler: alias });
    try {
      const result = await scheduled.generate(request({ prompt: 'a green field', steps }));
      expect(result.scheduler).toBe(className);
      expect(result.timings.unetCalls).toBe(calls);
      const [red, green, blue] = channelMeans(result.images[0].pixels);
      expect(green).toBeGreaterThan(200);
      expect(Math.max(red, blue)).toBeLessThan(40);
    } finally {
      await scheduled.dispose();
    }
  });
});

describe('fp16 export in the SD-Turbo layout', () => {
  it('reads float16 inputs/outputs, int64 ids and a float16 timestep; recommends 1 step without guidance', async () => {
    const folder = join(directory, 'tiny-sd-turbo-fp16');
    await writeModelFiles(folder, sdFiles({ precision: 'float16', turbo: true }));
    const turbo = await OnnxImageGenerationModel.load(folder);
    try {
      expect(turbo.recommended).toEqual({ steps: 1, guidanceScale: 0 });
      const result = await turbo.generate(request({ prompt: 'a blue sky', steps: 1, guidanceScale: 0, count: 2 }));
      expect(result.scheduler).toBe('EulerDiscreteScheduler');
      expect(result.timings.unetCalls).toBe(1);
      const [red, green, blue] = channelMeans(result.images[0].pixels);
      expect(blue).toBeGreaterThan(150);
      expect(Math.max(red, green)).toBeLessThan(80);
    } finally {
      await turbo.dispose();
    }
  });
});
