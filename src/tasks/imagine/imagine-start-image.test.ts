import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { isMmkitError } from '../../errors.ts';
import { readPngText } from '../../media/png-text.ts';
import { OnnxImageGenerationModel } from '../../models/providers/onnx/diffusion/onnx-image-generation-model.ts';
import type {
  ImageGenerationDefaults,
  ImageGenerationModel,
  ImageGenerationRequest,
} from '../../models/spec/image-generation-model.ts';
import { imagine } from './imagine.ts';
import { sizeAtArea } from './start-image.ts';

let directory: string;
let model: OnnxImageGenerationModel;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-imagine-start-'));
  await buildTinyModel('sd', join(directory, 'tiny-sd'));
  model = await OnnxImageGenerationModel.load(join(directory, 'tiny-sd'));
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

/** A PNG whose columns are painted in `bands` of equal width, left to right. */
async function bandedPng(width: number, height: number, bands: [number, number, number][]): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = bands[Math.floor((x * bands.length) / width)]!;
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A model that paints nothing and keeps what it was asked. */
function recordingModel(recommended?: ImageGenerationDefaults): {
  model: ImageGenerationModel;
  requests: ImageGenerationRequest[];
} {
  const requests: ImageGenerationRequest[] = [];
  return {
    requests,
    model: {
      description: { id: 'recording', provider: 'test' },
      ...(recommended ? { recommended } : {}),
      generate: async (request) => {
        requests.push(request);
        const pixels = new Uint8Array(request.width * request.height * 3);
        return {
          images: [{ width: request.width, height: request.height, pixels, seed: request.seed }],
          scheduler: 'none',
          timings: { totalMs: 0 },
        };
      },
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; param: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, param: error.param };
    throw error;
  }
  throw new Error('expected an MmkitError');
}

const BLUE: [number, number, number] = [30, 60, 220];

describe('imagine from a start image', () => {
  it('keeps a blue picture blue at low strength, and says so in the provenance', async () => {
    const result = await imagine({
      model,
      prompt: 'a red apple',
      image: { bytes: await bandedPng(64, 64, [BLUE]), name: 'blue.png' },
      strength: 0.2,
      // Without guidance: the tiny model's guidance multiplies the prompt's colour.
      guidance: 1,
      width: 64,
      height: 64,
      steps: 10,
      seed: 3,
      outDir: join(directory, 'out'),
    });
    expect(result.strength).toBe(0.2);
    const png = await readFile(result.images[0]!.path);
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    for (let index = 0; index < data.length; index += 3) if (data[index + 2]! > 150 && data[index]! < 100) blue++;
    expect(blue / (64 * 64)).toBeGreaterThan(0.9);
    expect(readPngText(png)).toMatchObject({ start_image: 'blue.png', strength: '0.2', steps: '10' });
  });

  it('without a size, keeps the picture’s aspect ratio at the model’s usual pixel count', async () => {
    const { model: recording, requests } = recordingModel();
    await imagine({
      model: recording,
      prompt: 'x',
      image: { bytes: await bandedPng(300, 200, [BLUE]), name: 'wide.png' },
      outDir: join(directory, 'aspect'),
    });
    expect([requests[0]!.width, requests[0]!.height]).toEqual([624, 416]);
    expect(requests[0]!.image?.pixels.length).toBe(624 * 416 * 3);
    expect(requests[0]!.strength).toBe(0.8);
    expect(sizeAtArea(4000, 3000, 1024 * 1024)).toEqual({ width: 1184, height: 888 });
    expect(sizeAtArea(20000, 100, 512 * 512)).toEqual({ width: 2048, height: 64 });
  });

  it('with a size, fills it by cropping the centre, not by stretching', async () => {
    const { model: recording, requests } = recordingModel();
    const RED: [number, number, number] = [220, 30, 30];
    const GREEN: [number, number, number] = [30, 200, 30];
    // Blue quarter, green half, red quarter: the centre square of this 2:1 picture is all green.
    await imagine({
      model: recording,
      prompt: 'x',
      image: { bytes: await bandedPng(128, 64, [BLUE, GREEN, GREEN, RED]), name: 'bands.png' },
      width: 64,
      height: 64,
      outDir: join(directory, 'crop'),
    });
    const { pixels } = requests[0]!.image!;
    for (const x of [2, 32, 61]) {
      const at = (20 * 64 + x) * 3;
      expect([...pixels.subarray(at, at + 3)]).toEqual(GREEN);
    }
  });

  it('runs at least one step: a 1-step model gets a longer schedule when no steps are given', async () => {
    const { model: turbo, requests } = recordingModel({ steps: 1, guidanceScale: 0, width: 64, height: 64 });
    const image = { bytes: await bandedPng(64, 64, [BLUE]), name: 'blue.png' };
    await imagine({ model: turbo, prompt: 'x', image, outDir: join(directory, 'turbo') });
    await imagine({ model: turbo, prompt: 'x', image, strength: 0.3, outDir: join(directory, 'turbo') });
    expect(requests.map((request) => request.steps)).toEqual([2, 4]);
  });

  it('inpaints where the mask is transparent (OpenAI’s masks), at full strength by default', async () => {
    const maskPixels = Buffer.alloc(64 * 64 * 4, 255);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) maskPixels[(y * 64 + x) * 4 + 3] = 0;
    const mask = await sharp(maskPixels, { raw: { width: 64, height: 64, channels: 4 } })
      .png()
      .toBuffer();
    const image = { bytes: await bandedPng(64, 64, [BLUE]), name: 'blue.png' };
    const result = await imagine({
      model,
      prompt: 'a red apple',
      image,
      mask: { bytes: mask, name: 'left.png' },
      guidance: 1,
      steps: 4,
      seed: 1,
      outDir: join(directory, 'inpaint'),
    });
    expect(result.strength).toBe(1);
    const png = await readFile(result.images[0]!.path);
    // No size: the 64 × 64 picture and its mask are both scaled to 512 × 512.
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(512);
    const at = (x: number, y: number) => [...data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3)];
    expect(at(64, 240)[0]!).toBeGreaterThan(at(64, 240)[2]! + 100);
    expect(at(448, 240)[2]!).toBeGreaterThan(at(448, 240)[0]! + 100);
    expect(readPngText(png)).toMatchObject({ mask: 'left.png', strength: '1' });

    const outDir = join(directory, 'inpaint-refused');
    const opaque = { bytes: await bandedPng(64, 64, [BLUE]), name: 'opaque.png' };
    const small = {
      bytes: await sharp(maskPixels, { raw: { width: 32, height: 128, channels: 4 } })
        .png()
        .toBuffer(),
      name: 'small.png',
    };
    for (const bad of [opaque, small]) {
      expect(await failure(imagine({ model, prompt: 'x', image, mask: bad, outDir }))).toMatchObject({ param: 'mask' });
    }
    expect(await failure(imagine({ model, prompt: 'x', mask: { bytes: mask, name: 'm.png' }, outDir }))).toMatchObject({
      param: 'mask',
    });
  });

  it('refuses strength without a picture or out of range, and a file that is not an image', async () => {
    const image = { bytes: await bandedPng(64, 64, [BLUE]), name: 'blue.png' };
    const outDir = join(directory, 'refused');
    expect(await failure(imagine({ model, prompt: 'x', strength: 0.5, outDir }))).toMatchObject({ param: 'strength' });
    for (const strength of [0, 1.5, Number.NaN]) {
      expect(await failure(imagine({ model, prompt: 'x', image, strength, outDir }))).toMatchObject({
        param: 'strength',
      });
    }
    const garbage = { bytes: new TextEncoder().encode('not a picture'), name: 'notes.txt' };
    expect(await failure(imagine({ model, prompt: 'x', image: garbage, outDir }))).toMatchObject({
      code: expect.stringMatching(/^image_/),
    });
  });
});
