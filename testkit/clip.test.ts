import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  env,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
  pipeline,
  RawImage,
  type Tensor,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP_COLOURS, clipFiles } from './clip.ts';
import { writeModelFiles } from './model-files.ts';

function solidImage([red, green, blue]: readonly number[], width = 40, height = 30): RawImage {
  const pixels = new Uint8ClampedArray(width * height * 3);
  for (let index = 0; index < pixels.length; index += 3) {
    pixels[index] = red;
    pixels[index + 1] = green;
    pixels[index + 2] = blue;
  }
  return new RawImage(pixels, width, height, 3);
}

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, value, index) => sum + value * b[index], 0);
  const length = (vector: number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return dot / (length(a) * length(b));
}

describe('testkit clip (colour embeddings)', () => {
  let directory: string;
  let tokenizer: PreTrainedTokenizer;
  let processor: Processor;
  let textModel: PreTrainedModel;
  let visionModel: PreTrainedModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-clip-'));
    await writeModelFiles(directory, clipFiles());
    env.allowRemoteModels = false;
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
    processor = await AutoProcessor.from_pretrained(directory, { local_files_only: true });
    textModel = await CLIPTextModelWithProjection.from_pretrained(directory, { local_files_only: true });
    visionModel = await CLIPVisionModelWithProjection.from_pretrained(directory, { local_files_only: true });
  });

  afterAll(async () => {
    await textModel?.dispose();
    await visionModel?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  async function embedTexts(texts: string[]): Promise<number[][]> {
    const inputs = tokenizer(texts, { padding: true, truncation: true });
    const { text_embeds } = (await textModel(inputs)) as { text_embeds: Tensor };
    return text_embeds.tolist() as number[][];
  }

  async function embedImage(image: RawImage): Promise<number[]> {
    const { image_embeds } = (await visionModel(await processor(image))) as { image_embeds: Tensor };
    return (image_embeds.tolist() as number[][])[0];
  }

  it("tokenizes with CLIP's pipeline: each listed word one token, any other word in byte tokens", () => {
    const ids = (tokenizer('A  RED zebra.').input_ids.tolist() as bigint[][])[0]!.map(Number);
    const tokens = ids.map((id) => tokenizer._tokenizer.id_to_token(id));
    expect(tokens).toEqual([
      '<|startoftext|>',
      'a</w>',
      'red</w>',
      'z',
      'e',
      'b',
      'r',
      'a</w>',
      '.</w>',
      '<|endoftext|>',
    ]);
    for (const word of [...Object.keys(CLIP_COLOURS), 'this', 'is', 'photo', 'picture', 'colour', 'color', 'car']) {
      expect(tokenizer.encode(word)).toHaveLength(3);
    }
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe('a red zebra.');
  });

  it('embeds a red image near "a photo of a red car" and a blue one near blue', async () => {
    const texts = ['a photo of a red car', 'a photo of a green car', 'a photo of a blue car', 'a yellow image'];
    const textEmbeddings = await embedTexts(texts);
    const nearest = async (rgb: number[]) => {
      const image = await embedImage(solidImage(rgb));
      const scores = textEmbeddings.map((text) => cosine(image, text));
      return { best: texts[scores.indexOf(Math.max(...scores))], scores };
    };
    const red = await nearest([220, 20, 30]);
    expect(red.best).toBe('a photo of a red car');
    expect(red.scores[0]).toBeGreaterThan(0.95);
    expect((await nearest([10, 40, 230])).best).toBe('a photo of a blue car');
    expect((await nearest([240, 230, 20])).best).toBe('a yellow image');
  });

  it('puts a pure colour and its word on the same direction', async () => {
    const [text] = await embedTexts(['purple']);
    const image = await embedImage(solidImage([128, 0, 128]));
    expect(cosine(text, image)).toBeGreaterThan(0.999);
  });

  it('classifies colours with the zero-shot image classification pipeline (CLIPModel, onnx/model.onnx)', async () => {
    const classify = await pipeline('zero-shot-image-classification', directory, { local_files_only: true });
    const labels = ['red', 'green', 'blue', 'white', 'black'];
    for (const [rgb, expected] of [
      [[200, 30, 30], 'red'],
      [[30, 180, 40], 'green'],
      [[250, 250, 250], 'white'],
      [[5, 5, 5], 'black'],
    ] as const) {
      const result = (await classify(solidImage(rgb), labels)) as { label: string; score: number }[];
      expect(result[0].label).toBe(expected);
      expect(result[0].score).toBeGreaterThan(0.9);
    }
    await classify.dispose();
  });
});
