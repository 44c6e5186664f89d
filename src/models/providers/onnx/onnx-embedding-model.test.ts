import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { MmkitError } from '../../../errors.ts';
import { OnnxEmbeddingModel } from './onnx-embedding-model.ts';

async function solidPng([r, g, b]: readonly number[]): Promise<Uint8Array> {
  const buffer = await sharp({ create: { width: 48, height: 32, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();
  return new Uint8Array(buffer);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index], 0);

describe('OnnxEmbeddingModel on the testkit colour CLIP', () => {
  let directory: string;
  let model: OnnxEmbeddingModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-clip-'));
    await buildTinyModel('clip', directory);
    model = await OnnxEmbeddingModel.load(directory, { id: 'onnx:tiny-clip' });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('embeds texts as unit vectors of the projection size, counting tokens', async () => {
    expect(model.dimensions).toBe(8);
    const { embeddings, usage } = await model.embedTexts(['red', 'a photo of a blue car']);
    expect(embeddings).toHaveLength(2);
    for (const vector of embeddings) {
      expect(vector).toHaveLength(8);
      expect(dot(vector, vector)).toBeCloseTo(1, 5);
    }
    // <|startoftext|> red <|endoftext|>, then 6 words + 2, padded: the mask counts real tokens.
    expect(usage.tokens).toBe(3 + 8);
  });

  it('gives a text the same vector alone as beside longer texts (the server batches requests)', async () => {
    const alone = (await model.embedTexts(['red'])).embeddings[0]!;
    const { embeddings } = await model.embedTexts(['a photo of a big blue car', 'red', 'green']);
    expect(Array.from(embeddings[1]!)).toEqual(Array.from(alone));
    expect(dot(embeddings[0]!, alone)).toBeLessThan(0.99);
  });

  it("cuts a text over the tokenizer's 77 tokens, keeping the end-of-text token", async () => {
    const { embeddings, usage } = await model.embedTexts(['red '.repeat(200)]);
    expect(usage.tokens).toBe(77);
    expect(dot(embeddings[0]!, embeddings[0]!)).toBeCloseTo(1, 5);
  });

  it('puts a red image nearest the text "red", a blue one nearest "blue"', async () => {
    const labels = ['red', 'green', 'blue', 'yellow'];
    const { embeddings: texts } = await model.embedTexts(labels);
    const { embeddings: images } = await model.embedImages(
      await Promise.all([solidPng([220, 20, 30]), solidPng([10, 40, 230])]),
    );
    const nearest = (image: Float32Array) => {
      const scores = texts.map((text) => dot(image, text));
      return labels[scores.indexOf(Math.max(...scores))];
    };
    expect(nearest(images[0])).toBe('red');
    expect(nearest(images[1])).toBe('blue');
    expect(dot(images[0], texts[0])).toBeGreaterThan(0.95);
  });

  it('refuses an undecodable image and an aborted call', async () => {
    const error = await model.embedImages([new Uint8Array([1, 2, 3])]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MmkitError);
    expect((error as MmkitError).code).toBe('image_unreadable');
    await expect(model.embedTexts(['red'], { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it('refuses a model that is not CLIP', async () => {
    const llm = join(directory, 'llm');
    await buildTinyModel('llm', llm);
    const error = await OnnxEmbeddingModel.load(llm).catch((caught: unknown) => caught);
    expect((error as MmkitError).code).toBe('unsupported_architecture');
  });
});

describe('OnnxEmbeddingModel on the testkit colour SigLIP', () => {
  let directory: string;
  let siglip: OnnxEmbeddingModel;
  let clip: OnnxEmbeddingModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-siglip-'));
    await buildTinyModel('siglip', join(directory, 'siglip'));
    await buildTinyModel('clip', join(directory, 'clip'));
    siglip = await OnnxEmbeddingModel.load(join(directory, 'siglip'));
    clip = await OnnxEmbeddingModel.load(join(directory, 'clip'));
  });
  afterAll(async () => {
    await siglip?.dispose();
    await clip?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  /** 200×40: the left 40 % red, the rest blue. */
  async function redThenBlue(): Promise<Uint8Array> {
    const pixels = Buffer.alloc(200 * 40 * 3);
    for (let index = 0; index < 200 * 40; index++) {
      const red = index % 200 < 80;
      pixels.set(red ? [255, 0, 0] : [0, 0, 255], index * 3);
    }
    return new Uint8Array(
      await sharp(pixels, { raw: { width: 200, height: 40, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }

  it('embeds text and images in one space from pooler_output, with SigLIP’s processor (no crop)', async () => {
    expect(siglip.dimensions).toBe(8);
    const labels = ['red', 'blue', 'purple'];
    const nearest = async (model: OnnxEmbeddingModel, image: Uint8Array) => {
      const { embeddings: texts } = await model.embedTexts(labels);
      const [vector] = (await model.embedImages([image])).embeddings;
      const scores = texts.map((text) => dot(vector!, text));
      return labels[scores.indexOf(Math.max(...scores))];
    };
    expect(await nearest(siglip, await solidPng([220, 20, 30]))).toBe('red');
    expect(await nearest(siglip, await solidPng([10, 40, 230]))).toBe('blue');
    // SigLIP squashes the whole image to 224×224: red and blue mix. CLIP's centre crop sees only blue.
    expect(await nearest(siglip, await redThenBlue())).toBe('purple');
    expect(await nearest(clip, await redThenBlue())).toBe('blue');
  });

  it('pads texts to the 64 tokens SigLIP was trained with, counting only the real ones', async () => {
    const tower = (siglip as unknown as { textModel: { _call: (inputs: unknown) => unknown } }).textModel;
    const call = vi.spyOn(tower, '_call');
    try {
      const { embeddings, usage } = await siglip.embedTexts(['a red car', 'red']);
      expect(usage.tokens).toBe(5 + 3);
      expect(dot(embeddings[0]!, embeddings[1]!)).toBeCloseTo(1, 5);
      const [inputs] = call.mock.calls[0] as [{ input_ids: { dims: number[] } }];
      expect(inputs.input_ids.dims).toEqual([2, 64]);
    } finally {
      call.mockRestore();
    }
  });
});
