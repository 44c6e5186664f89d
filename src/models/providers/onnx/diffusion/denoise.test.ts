import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../../../testkit/model-files.ts';
import { sdFiles, type TinySdOptions } from '../../../../../testkit/sd.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { OnnxImageGenerationModel } from './onnx-image-generation-model.ts';

let directory: string;
let reference: OnnxImageGenerationModel;

const request = (overrides: Partial<ImageGenerationRequest> = {}): ImageGenerationRequest => ({
  prompt: 'a red apple',
  negativePrompt: 'green',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 3,
  count: 2,
  seed: 7,
  ...overrides,
});

async function buildModel(name: string, options: TinySdOptions, schedulerChanges: object = {}): Promise<string> {
  const folder = join(directory, name);
  const files = sdFiles(options);
  const scheduler = JSON.parse(String(files['scheduler/scheduler_config.json']));
  files['scheduler/scheduler_config.json'] = JSON.stringify({ ...scheduler, ...schedulerChanges });
  await writeModelFiles(folder, files);
  return folder;
}

async function pixelsOf(folder: string): Promise<Buffer[]> {
  const model = await OnnxImageGenerationModel.load(folder);
  try {
    return (await model.generate(request())).images.map((image) => Buffer.from(image.pixels));
  } finally {
    await model.dispose();
  }
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mmkit-denoise-'));
  reference = await OnnxImageGenerationModel.load(await buildModel('plain', {}));
});

afterAll(async () => {
  await reference?.dispose();
  await rm(directory, { recursive: true, force: true });
});

describe('the denoising loop', () => {
  const expected = async () => (await reference.generate(request())).images.map((image) => Buffer.from(image.pixels));

  it('a fixed-batch export (3 rows: chunks of 3 + 1 padded, across the unconditional/conditional boundary) with the benchmark compute load (convolutions added ×0) paints the same pictures', async () => {
    const folder = await buildModel('fixed-batch', { unetBatch: 3, unetCompute: { channels: 8, layers: 2 } });
    const pixels = await pixelsOf(folder);
    expect(pixels).toEqual(await expected());
    expect(pixels[0].equals(pixels[1])).toBe(false);
  });

  it('runs PNDM with the Runge–Kutta warm-up when skip_prk_steps is false: 3 × 4 + (steps − 3) UNet calls', async () => {
    const folder = await buildModel('prk', {}, { skip_prk_steps: false });
    const model = await OnnxImageGenerationModel.load(folder);
    try {
      const result = await model.generate(request({ prompt: 'a green field', negativePrompt: '', steps: 10 }));
      expect(result.scheduler).toBe('PNDMScheduler');
      expect(result.timings.unetCalls).toBe(19);
      const pixels = result.images[0].pixels;
      const means = [0, 1, 2].map(
        (channel) => pixels.filter((_, index) => index % 3 === channel).reduce((sum, value) => sum + value, 0) / 4096,
      );
      expect(means[1]).toBeGreaterThan(200);
      expect(Math.max(means[0], means[2])).toBeLessThan(40);
    } finally {
      await model.dispose();
    }
  });
});
