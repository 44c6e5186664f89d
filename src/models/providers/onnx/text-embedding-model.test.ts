import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { GraphBuilder } from '../../../onnx/graph-builder.ts';
import { int64Tensor, tensor } from '../../../onnx/tensor.ts';
import { ModelRegistry } from '../../registry.ts';
import { createOnnxProvider } from './provider.ts';
import { OnnxTextEmbeddingModel } from './text-embedding-model.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);

describe('OnnxTextEmbeddingModel on the testkit topic encoder', () => {
  let root: string;
  let model: OnnxTextEmbeddingModel;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-text-embedding-'));
    await buildTinyModel('bert', join(root, 'bert'));
    model = await OnnxTextEmbeddingModel.load(join(root, 'bert'), { id: 'tiny-bert' });
  });
  afterAll(async () => {
    await model?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('embeds texts as unit vectors whose nearness follows their meaning, counting tokens', async () => {
    expect(model.description.id).toBe('tiny-bert');
    const { embeddings, usage } = await model.embedTexts(['Cars on the road', 'a truck', 'A KITTEN!', 'sunny sky']);
    const [cars, truck, kitten, sky] = embeddings;
    for (const vector of embeddings) {
      expect(vector).toHaveLength(model.dimensions);
      expect(dot(vector, vector)).toBeCloseTo(1, 5);
    }
    expect(dot(cars!, truck!)).toBeGreaterThan(0.8);
    expect(dot(cars!, kitten!)).toBeCloseTo(0, 6);
    expect(dot(kitten!, sky!)).toBeCloseTo(0, 6);
    // [CLS] car ##s on the road [SEP] · [CLS] a truck [SEP] · [CLS] a kitten ! [SEP] · [CLS] sunny sky [SEP]
    expect(usage.tokens).toBe(7 + 4 + 5 + 4);
  });

  it('gives a text the same vector alone as beside longer texts: padding is masked out', async () => {
    const alone = (await model.embedTexts(['a truck'])).embeddings[0]!;
    const { embeddings } = await model.embedTexts(['a truck on a very long road in the rain', 'a truck']);
    expect(dot(alone, embeddings[1]!)).toBeCloseTo(1, 6);
    expect(dot(alone, embeddings[0]!)).toBeLessThan(0.99);
  });

  it("cuts a text at sentence-transformers' max_seq_length (256 tokens)", async () => {
    const { embeddings, usage } = await model.embedTexts(['rain '.repeat(400)]);
    expect(usage.tokens).toBe(256);
    expect(dot(embeddings[0]!, embeddings[0]!)).toBeCloseTo(1, 5);
  });

  it('pools as the entry says when it overrides the folder (cls + max side by side)', async () => {
    const overridden = await OnnxTextEmbeddingModel.load(join(root, 'bert'), { pooling: ['cls', 'max'] });
    try {
      expect(overridden.dimensions).toBe(2 * model.dimensions);
      const [mixed, car] = (await overridden.embedTexts(['a car and a cat', 'car'])).embeddings;
      const [meanMixed] = (await model.embedTexts(['a car and a cat'])).embeddings;
      // Max keeps each word's own axis at full strength, where the mean halves it.
      expect(dot(mixed!, car!)).toBeGreaterThan(0.4);
      expect(Array.from(mixed!.subarray(0, model.dimensions))).not.toEqual(Array.from(meanMixed!));
    } finally {
      await overridden.dispose();
    }
  });

  it('takes a graph that pools itself (sentence_embedding) as it is', async () => {
    const folder = join(root, 'pooled');
    await buildTinyModel('bert', folder);
    const graph = new GraphBuilder('pooled');
    const ids = graph.input('input_ids', 'int64', ['batch', 'sequence']);
    graph.input('attention_mask', 'int64', ['batch', 'sequence']);
    // Token id i embeds as (1, i): the sum says how many tokens there were and their id total.
    const table = new Float32Array(200 * 2).map((_, index) => (index % 2 === 0 ? 1 : Math.floor(index / 2)));
    const embedded = graph.op('Gather', [graph.initializer('table', tensor('float32', table, [200, 2])), ids]);
    graph.node('ReduceSum', [embedded, graph.constant(int64Tensor([1]))], ['sentence_embedding'], { keepdims: 0 });
    graph.output('sentence_embedding', 'float32', ['batch', 2]);
    await writeFile(join(folder, 'onnx', 'model.onnx'), graph.toBytes());
    const pooled = await OnnxTextEmbeddingModel.load(folder);
    try {
      expect(pooled.dimensions).toBe(2);
      const [vector] = (await pooled.embedTexts(['car'])).embeddings;
      // [CLS] (2) car (5) [SEP] (3): (3, 10) normalised.
      const length = Math.hypot(3, 10);
      expect(Array.from(vector!)).toEqual([3 / length, 10 / length].map(Math.fround));
    } finally {
      await pooled.dispose();
    }
  });

  it('refuses a sentence-transformers pipeline with a layer after pooling that the graph leaves out', async () => {
    const folder = join(root, 'dense');
    await buildTinyModel('bert', folder);
    const modules = JSON.parse(await readFile(join(folder, 'modules.json'), 'utf8')) as object[];
    modules.splice(2, 0, { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' });
    await writeFile(join(folder, 'modules.json'), JSON.stringify(modules));
    await expect(OnnxTextEmbeddingModel.load(folder)).rejects.toMatchObject({
      code: 'unsupported_architecture',
      message: expect.stringMatching(
        /applies sentence_transformers\.models\.Dense after pooling, which its ONNX graph does not/,
      ),
    });
  });

  it('refuses decoders, speech models and voices in one line', async () => {
    await buildTinyModel('llm', join(root, 'llm'));
    await expect(OnnxTextEmbeddingModel.load(join(root, 'llm'))).rejects.toMatchObject({
      code: 'unsupported_architecture',
      message: expect.stringMatching(/model type "llama" is not a text embedding encoder/),
    });
    for (const architecture of ['whisper', 'vits'] as const) {
      await buildTinyModel(architecture, join(root, architecture));
      await expect(OnnxTextEmbeddingModel.load(join(root, architecture))).rejects.toMatchObject({
        code: 'unsupported_architecture',
        message: expect.stringMatching(`model type "${architecture}" is not a text embedding encoder`),
      });
    }
  });
});

describe('text embedding models through the onnx provider', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-text-embedding-provider-'));
    await buildTinyModel('bert', join(root, 'bert'));
    await buildTinyModel('clip', join(root, 'clip'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const registry = () =>
    new ModelRegistry({
      config: {
        models: {
          bert: { id: join(root, 'bert') },
          'bert-cls-max': { id: join(root, 'bert'), pooling: 'cls+max' },
          'bert-bad': { id: join(root, 'bert'), pooling: 'average' },
          clip: { id: join(root, 'clip') },
        },
      },
      providers: [createOnnxProvider()],
    });

  it('loads CLIP folders as CLIP (with images) and other encoders as text embedders, with the pooling option', async () => {
    const models = registry();
    const clip = await models.load('embeddings', 'clip');
    const bert = await models.load('embeddings', 'bert');
    const overridden = await models.load('embeddings', 'bert-cls-max');
    try {
      expect(typeof clip.embedImages).toBe('function');
      expect(bert.embedImages).toBeUndefined();
      expect(overridden.dimensions).toBe(2 * bert.dimensions);
    } finally {
      for (const model of [clip, bert, overridden]) await (model as unknown as { dispose(): Promise<void> }).dispose();
    }
  });

  it('refuses an unknown pooling in one line naming the model', async () => {
    await expect(registry().load('embeddings', 'bert-bad')).rejects.toMatchObject({
      code: 'pooling_invalid',
      message: expect.stringMatching(
        /bert: pooling must be one of cls, mean, max, weightedmean, lasttoken, got "average"$/,
      ),
    });
  });
});
