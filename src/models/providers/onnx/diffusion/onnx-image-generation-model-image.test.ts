import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../../testkit/build.ts';
import { writeModelFiles } from '../../../../../testkit/model-files.ts';
import { sdFiles } from '../../../../../testkit/sd.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { OnnxImageGenerationModel } from './onnx-image-generation-model.ts';
import { channelMeans, halfMeans, leftHalfMask, mmkitFailure, plainPicture } from './test-support/pictures.ts';

let directory: string;
let sd: OnnxImageGenerationModel;
let turbo: OnnxImageGenerationModel;

const BLUE = plainPicture(64, 64, [30, 60, 220]);

const request = (overrides: Partial<ImageGenerationRequest> = {}): ImageGenerationRequest => ({
  prompt: 'a red apple',
  width: 64,
  height: 64,
  steps: 10,
  guidanceScale: 1,
  count: 1,
  seed: 7,
  image: BLUE,
  ...overrides,
});

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-sd-image-'));
  await buildTinyModel('sd', join(directory, 'sd'));
  await writeModelFiles(join(directory, 'turbo'), sdFiles({ turbo: true }));
  sd = await OnnxImageGenerationModel.load(join(directory, 'sd'));
  turbo = await OnnxImageGenerationModel.load(join(directory, 'turbo'));
});

afterAll(async () => {
  await sd?.dispose();
  await turbo?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe('image to image on the tiny sd model', () => {
  it('a low strength keeps the blue picture; full strength paints the prompt red', async () => {
    const [kept] = (await sd.generate(request({ strength: 0.2 }))).images;
    const [red, green, blue] = channelMeans(kept!.pixels);
    expect(blue).toBeGreaterThan(180);
    expect(red).toBeLessThan(80);
    const [redrawn] = (await sd.generate(request({ strength: 1 }))).images;
    const [red2, , blue2] = channelMeans(redrawn!.pixels);
    expect(red2).toBeGreaterThan(180);
    expect(blue2).toBeLessThan(80);
    expect(green).toBeLessThan(120);
  });

  it('strength runs the last ⌊steps·strength⌋ steps (PNDM warms up again: one call more)', async () => {
    const result = await sd.generate(request({ strength: 0.5 }));
    expect(result.timings.unetCalls).toBe(6);
    expect(result.timings.vaeMs).toBeGreaterThan(0);
  });

  it('the redrawn share grows with strength, on Euler (the turbo layout) too', async () => {
    const redness = async (model: OnnxImageGenerationModel, strength: number) => {
      const [image] = (await model.generate(request({ steps: 4, strength }))).images;
      const [red, , blue] = channelMeans(image!.pixels);
      return red! - blue!;
    };
    for (const model of [sd, turbo]) {
      const values = [await redness(model, 0.25), await redness(model, 0.5), await redness(model, 1)];
      expect(values[0]).toBeLessThan(values[1]!);
      expect(values[1]).toBeLessThan(values[2]!);
    }
  });

  it('same seed, same picture, same pixels; each image of a batch its own noise', async () => {
    const first = await sd.generate(request({ strength: 0.6, count: 2 }));
    const again = await sd.generate(request({ strength: 0.6, count: 2 }));
    expect(Buffer.from(again.images[0]!.pixels).equals(Buffer.from(first.images[0]!.pixels))).toBe(true);
    expect(Buffer.from(first.images[1]!.pixels).equals(Buffer.from(first.images[0]!.pixels))).toBe(false);
  });

  it('refuses a picture of another size, a strength out of range, one that runs no step, strength without a picture', async () => {
    expect(await mmkitFailure(sd.generate(request({ image: plainPicture(32, 64, [0, 0, 0]) })))).toMatchObject({
      code: 'invalid_parameter',
      param: 'image',
    });
    for (const strength of [0, -0.5, 1.5, Number.NaN]) {
      expect(await mmkitFailure(sd.generate(request({ strength })))).toMatchObject({ param: 'strength' });
    }
    const none = await mmkitFailure(sd.generate(request({ steps: 3, strength: 0.3 })));
    expect(none.message).toMatch(/runs no step .*raise steps to 4 or strength to 0\.34/);
    expect(await mmkitFailure(sd.generate(request({ image: undefined, strength: 0.5 })))).toMatchObject({
      param: 'strength',
    });
  });

  it('inpaints: the masked left half is painted red, the right half stays the blue picture', async () => {
    const mask = leftHalfMask(64, 64);
    for (const model of [sd, turbo]) {
      const [image] = (await model.generate(request({ strength: 1, steps: 4, mask }))).images;
      const [leftRed, , leftBlue] = halfMeans(image!.pixels, 64, 'left');
      const [rightRed, , rightBlue] = halfMeans(image!.pixels, 64, 'right');
      expect(leftRed! - leftBlue!).toBeGreaterThan(100);
      // The kept half is the picture itself after the last step (through the tiny VAE: block means).
      expect(Math.abs(rightRed! - 30)).toBeLessThan(4);
      expect(Math.abs(rightBlue! - 220)).toBeLessThan(4);
    }
    expect(await mmkitFailure(sd.generate(request({ mask: new Uint8Array(10) })))).toMatchObject({ param: 'mask' });
    expect(await mmkitFailure(sd.generate(request({ image: undefined, mask })))).toMatchObject({ param: 'mask' });
  });

  it('an export without a VAE encoder says what to pull', async () => {
    await rm(join(directory, 'sd', 'vae_encoder'), { recursive: true });
    const withoutEncoder = await OnnxImageGenerationModel.load(join(directory, 'sd'));
    try {
      const refused = await mmkitFailure(withoutEncoder.generate(request()));
      expect(refused.code).toBe('image_to_image_unsupported');
      expect(refused.message).toContain('mmkit models pull ID');
      // Text to image still works.
      expect((await withoutEncoder.generate(request({ image: undefined, steps: 2 }))).images).toHaveLength(1);
    } finally {
      await withoutEncoder.dispose();
    }
  });
});
