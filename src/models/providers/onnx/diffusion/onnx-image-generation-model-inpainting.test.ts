import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../../../testkit/model-files.ts';
import { sdFiles } from '../../../../../testkit/sd.ts';
import { GraphBuilder } from '../../../../onnx/graph-builder.ts';
import { int64Tensor } from '../../../../onnx/tensor.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { OnnxImageGenerationModel } from './onnx-image-generation-model.ts';
import { halfMeans, leftHalfMask, mmkitFailure, plainPicture } from './test-support/pictures.ts';

let directory: string;
let model: OnnxImageGenerationModel;

const SIZE = 64;
const BLUE = plainPicture(SIZE, SIZE, [30, 60, 220]);
/** Repaint the left half. */
const LEFT_HALF = leftHalfMask(SIZE, SIZE);

const request = (overrides: Partial<ImageGenerationRequest> = {}): ImageGenerationRequest => ({
  prompt: 'a red apple',
  width: SIZE,
  height: SIZE,
  steps: 10,
  guidanceScale: 1,
  count: 1,
  seed: 7,
  ...overrides,
});

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-sd-inpainting-'));
  await writeModelFiles(join(directory, 'inpainting'), sdFiles({ inpainting: true }));
  model = await OnnxImageGenerationModel.load(join(directory, 'inpainting'));
});

afterAll(async () => {
  await model?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe('an inpainting-trained UNet (9 input channels)', () => {
  it('is recognised from its sample input', () => {
    expect(model.inpaintingUnet).toBe(true);
  });

  it('paints the masked left half red and draws the right half as the blue picture, guided or not', async () => {
    for (const guidanceScale of [1, 7.5]) {
      const [image] = (await model.generate(request({ image: BLUE, mask: LEFT_HALF, strength: 1, guidanceScale })))
        .images;
      const [leftRed, , leftBlue] = halfMeans(image!.pixels, SIZE, 'left');
      const [rightRed, , rightBlue] = halfMeans(image!.pixels, SIZE, 'right');
      expect(leftRed! - leftBlue!).toBeGreaterThan(100);
      // No blend: the UNet itself keeps the unmasked part (the tiny one exactly, up to its seed texture).
      expect(Math.abs(rightRed! - 30)).toBeLessThan(6);
      expect(Math.abs(rightBlue! - 220)).toBeLessThan(6);
    }
  });

  it('an export with a fixed batch of one (guidance: two calls per step) paints the same pixels', async () => {
    const folder = join(directory, 'batch-one');
    await writeModelFiles(folder, sdFiles({ inpainting: true, unetBatch: 1 }));
    const batchOne = await OnnxImageGenerationModel.load(folder);
    try {
      const inpaint = request({ image: BLUE, mask: LEFT_HALF, strength: 1, guidanceScale: 7.5, count: 2, steps: 3 });
      const chunked = await batchOne.generate(inpaint);
      const whole = await model.generate(inpaint);
      expect(chunked.timings.unetCalls).toBe(4 * whole.timings.unetCalls);
      for (const [index, image] of whole.images.entries()) {
        expect(Buffer.from(chunked.images[index]!.pixels).equals(Buffer.from(image.pixels))).toBe(true);
      }
    } finally {
      await batchOne.dispose();
    }
  });

  it('below full strength starts from the picture: fewer steps, the masked part on its way to red', async () => {
    const full = await model.generate(request({ image: BLUE, mask: LEFT_HALF, strength: 1 }));
    const half = await model.generate(request({ image: BLUE, mask: LEFT_HALF, strength: 0.5 }));
    expect(half.timings.unetCalls).toBeLessThan(full.timings.unetCalls);
    const redness = (pixels: Uint8Array) => {
      const [red, , blue] = halfMeans(pixels, SIZE, 'left');
      return red! - blue!;
    };
    expect(redness(half.images[0]!.pixels)).toBeLessThan(redness(full.images[0]!.pixels));
    expect(redness(half.images[0]!.pixels)).toBeGreaterThan(0);
  });

  it('text to image and a picture without a mask: everything is repainted', async () => {
    for (const extra of [{}, { image: BLUE, strength: 1 }]) {
      const [image] = (await model.generate(request(extra))).images;
      for (const side of ['left', 'right'] as const) {
        const [red, , blue] = halfMeans(image!.pixels, SIZE, side);
        expect(red! - blue!).toBeGreaterThan(100);
      }
    }
  });

  it('without a VAE encoder it says what to pull, even for text to image', async () => {
    const folder = join(directory, 'no-encoder');
    const files = sdFiles({ inpainting: true });
    await writeModelFiles(
      folder,
      Object.fromEntries(Object.entries(files).filter(([path]) => !path.startsWith('vae_encoder/'))),
    );
    const withoutEncoder = await OnnxImageGenerationModel.load(folder);
    try {
      const refused = await mmkitFailure(withoutEncoder.generate(request({ steps: 2 })));
      expect(refused).toMatchObject({ code: 'image_to_image_unsupported', param: 'model' });
      expect(refused.message).toContain('which an inpainting UNet needs');
    } finally {
      await withoutEncoder.dispose();
    }
  });

  it('a UNet with other input channels (instruct-pix2pix: 8) is refused at load, in one line', async () => {
    const folder = join(directory, 'pix2pix');
    await writeModelFiles(folder, sdFiles());
    const graph = new GraphBuilder('eight_channel_unet');
    const sample = graph.input('sample', 'float32', ['batch_size', 8, 'height', 'width']);
    graph.input('timestep', 'int64', ['batch_size']);
    graph.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 4]);
    const latents = graph.op('Slice', [
      sample,
      graph.constant(int64Tensor([0])),
      graph.constant(int64Tensor([4])),
      graph.constant(int64Tensor([1])),
    ]);
    graph.node('Identity', [latents], ['out_sample']);
    graph.output('out_sample', 'float32', ['batch_size', 4, 'height', 'width']);
    await writeFile(join(folder, 'unet', 'model.onnx'), graph.toBytes());
    const refused = await mmkitFailure(OnnxImageGenerationModel.load(folder));
    expect(refused).toMatchObject({ code: 'unsupported_architecture', param: 'model' });
    expect(refused.message).toBe(
      `${folder}: the UNet takes 8 input channels; mmkit runs text-to-image UNets (4) and inpainting UNets (9)`,
    );
  });
});
