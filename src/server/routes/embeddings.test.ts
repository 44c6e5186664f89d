import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { embed, embedMany } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataUrl, solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';
import { embeddingsJson } from './embeddings.ts';

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(normA * normB);
}

describe('POST /v1/embeddings', () => {
  let test: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    test = await startTestServer();
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('gives the official SDK the same vectors in base64 (its default) and float', async () => {
    const viaBase64 = await client.embeddings.create({ model: 'tiny-clip', input: ['a red car', 'blue'] });
    const viaFloat = await client.embeddings.create({
      model: 'tiny-clip',
      input: ['a red car', 'blue'],
      encoding_format: 'float',
    });
    expect(viaBase64.data.map((item) => item.index)).toEqual([0, 1]);
    expect(viaBase64.data[0]?.embedding).toHaveLength(8);
    for (const [index, item] of viaFloat.data.entries()) {
      const decoded = viaBase64.data[index]!.embedding;
      for (const [position, value] of item.embedding.entries()) expect(decoded[position]).toBeCloseTo(value, 6);
    }
    expect(viaFloat.usage.total_tokens).toBeGreaterThan(0);
    // The tiny CLIP's space is colour: "a red car" and "blue" point different ways.
    expect(cosine(viaFloat.data[0]!.embedding, viaFloat.data[1]!.embedding)).toBeLessThan(0.5);
  });

  it('embeds images given as data URLs in the same space as text, in input order', async () => {
    const redImage = dataUrl(await solidImage({ r: 255, g: 0, b: 0 }));
    const blueImage = dataUrl(await solidImage({ r: 0, g: 0, b: 255 }), 'image/whatever');
    const result = await client.embeddings.create({
      model: 'tiny-clip',
      input: ['red', redImage, blueImage, 'blue'],
      encoding_format: 'float',
    });
    const [redText, redPicture, bluePicture, blueText] = result.data.map((item) => item.embedding);
    expect(cosine(redText!, redPicture!)).toBeGreaterThan(0.99);
    expect(cosine(blueText!, bluePicture!)).toBeGreaterThan(0.99);
    expect(cosine(redText!, bluePicture!)).toBeLessThan(0.5);
  });

  it('serves SigLIP the same way: text and data-URL images in one space', async () => {
    const result = await client.embeddings.create({
      model: 'tiny-siglip',
      input: ['green', dataUrl(await solidImage({ r: 0, g: 220, b: 0 })), 'magenta'],
      encoding_format: 'float',
    });
    const [green, picture, magenta] = result.data.map((item) => item.embedding);
    expect(cosine(green!, picture!)).toBeGreaterThan(0.99);
    expect(cosine(magenta!, picture!)).toBeLessThan(0);
  });

  it('works with the AI SDK (embed, embedMany)', async () => {
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL });
    const single = await embed({ model: mmkit.embeddingModel('tiny-clip'), value: 'green' });
    expect(single.embedding).toHaveLength(8);
    const many = await embedMany({ model: mmkit.embeddingModel('tiny-clip'), values: ['green', 'a green car'] });
    expect(cosine(many.embeddings[0]!, many.embeddings[1]!)).toBeGreaterThan(0.99);
  });

  it('shortens vectors to dimensions (first components, unit length again), as text-embedding-3 does', async () => {
    const input = ['a red car', 'blue'];
    const full = await client.embeddings.create({ model: 'tiny-clip', input, encoding_format: 'float' });
    const short = await client.embeddings.create({ model: 'tiny-clip', input, dimensions: 3 });
    for (const [index, item] of short.data.entries()) {
      expect(item.embedding).toHaveLength(3);
      const head = full.data[index]!.embedding.slice(0, 3);
      const norm = Math.hypot(...head);
      for (const [position, value] of item.embedding.entries()) expect(value).toBeCloseTo(head[position]! / norm, 6);
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 6);
    }
    const same = await client.embeddings.create({ model: 'tiny-clip', input, dimensions: 8, encoding_format: 'float' });
    expect(same.data.map((item) => item.embedding)).toEqual(full.data.map((item) => item.embedding));
  });

  it('refuses token inputs and dimensions beyond the model with 400s', async () => {
    await expect(client.embeddings.create({ model: 'tiny-clip', input: [[1, 2, 3]] })).rejects.toMatchObject({
      status: 400,
      code: 'token_input_unsupported',
    });
    await expect(client.embeddings.create({ model: 'tiny-clip', input: 'red', dimensions: 9 })).rejects.toMatchObject({
      status: 400,
      param: 'dimensions',
      code: 'dimensions_unsupported',
    });
  });

  it('serves a sentence-embedding encoder (text only), pooled as its sentence-transformers files say', async () => {
    const texts = ['A car on the road.', 'an automobile', 'my kitten', 'two dogs and a cat'];
    const result = await client.embeddings.create({ model: 'tiny-bert', input: texts });
    const [car, automobile, kitten, pets] = result.data.map((item) => item.embedding);
    expect(car).toHaveLength(33);
    // The tiny encoder's space is topics: paraphrases are close, other topics orthogonal.
    expect(cosine(car!, automobile!)).toBeGreaterThan(0.85);
    expect(cosine(kitten!, pets!)).toBeGreaterThan(0.85);
    expect(cosine(car!, kitten!)).toBeLessThan(0.05);
    // Batched with longer texts (so padded) it answers as it does alone.
    const alone = await client.embeddings.create({ model: 'tiny-bert', input: 'an automobile' });
    expect(cosine(alone.data[0]!.embedding, automobile!)).toBeGreaterThan(0.9999);
    // [CLS] and [SEP] count, and "dogs" is two word pieces: 8 + 4 + 4 + 8.
    expect(result.usage.prompt_tokens).toBe(24);
    await expect(
      client.embeddings.create({ model: 'tiny-bert', input: dataUrl(await solidImage({ r: 255, g: 0, b: 0 })) }),
    ).rejects.toMatchObject({ status: 400, code: 'images_not_supported' });
  });
});

describe('embeddingsJson', () => {
  /** What the route answered before it wrote the string itself. */
  function viaStringify(vectors: Float32Array[], base64: boolean, model: string, tokens: number): string {
    return JSON.stringify({
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
          : Array.from(vector),
      })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  it('writes exactly what JSON.stringify writes, odd floats and model names included', () => {
    const shared = new Float32Array([9, 9, 0.1, -0, 1e-7, -3.5e38, 2 ** -149, 123456789]);
    const vectors = [
      new Float32Array([0.5, -0.25, 0.1]),
      shared.subarray(2),
      new Float32Array([Number.NaN, 1, Infinity]),
    ];
    for (const base64 of [false, true]) {
      for (const model of ['tiny-clip', 'a "quoted"\\name\u2028']) {
        const written = embeddingsJson(vectors, base64, model, 7);
        expect(written).toBe(viaStringify(vectors, base64, model, 7));
        expect(JSON.parse(written).data).toHaveLength(3);
      }
    }
    expect(embeddingsJson([], false, 'm', 0)).toBe(viaStringify([], false, 'm', 0));
  });
});
