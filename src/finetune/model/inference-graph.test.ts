import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyLlamaConfig } from '../../../testkit/llama.ts';
import { type DecoderConfig, type LoraTarget, projectionShapes } from './decoder-config.ts';
import { buildInferenceGraph, exportEmbedTokensModel, exportInferenceModel } from './inference-graph.ts';
import { buildTrainingGraph } from './training-graph.ts';
import { randomWeights } from './weight-source.ts';

const LLAMA: DecoderConfig = tinyLlamaConfig(48);
const QWEN2: DecoderConfig = {
  architecture: 'qwen2',
  vocabularySize: 40,
  hiddenSize: 24,
  intermediateSize: 40,
  numHiddenLayers: 2,
  numAttentionHeads: 6,
  numKeyValueHeads: 2,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 1e6,
  attentionBias: true,
  ropeScaling: { type: 'llama3', factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 8 },
};
const TARGETS: LoraTarget[] = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

// Row 0 full, row 1 left-padded by two (positions count kept tokens, as Transformers.js makes them).
const IDS = [
  [1, 17, 5, 33, 9, 2, 30, 11],
  [0, 0, 8, 8, 30, 12, 7, 3],
];
const MASK = [
  [1, 1, 1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1, 1, 1],
];
const POSITIONS = [
  [0, 1, 2, 3, 4, 5, 6, 7],
  [1, 1, 0, 1, 2, 3, 4, 5],
];

const int64 = (rows: number[][]) =>
  new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);
const columns = (rows: number[][], from: number, to: number) => rows.map((row) => row.slice(from, to));

describe.each([
  ['llama (GQA)', LLAMA],
  ['qwen2 (GQA, q/k/v biases, llama3 rope scaling)', QWEN2],
])('%s inference graph', (_label, config) => {
  const weights = randomWeights(11);
  let inference: InferenceSession;
  let expected: Float32Array;
  const vocabulary = config.vocabularySize;

  beforeAll(async () => {
    inference = await InferenceSession.create(exportInferenceModel({ config, weights }));
    // The training graph's logits with the LoRA update switched off (B = 0) are the base model's.
    const lora = { rank: 2, alpha: 4, targets: TARGETS };
    const training = buildTrainingGraph({ config, lora, weights, type: 'float32', outputLogits: true });
    const session = await InferenceSession.create(training.graph.toBytes());
    const feeds: Record<string, Tensor> = {
      input_ids: int64(IDS),
      attention_mask: int64(MASK),
      position_ids: int64(POSITIONS),
      labels: int64(IDS),
    };
    for (const { name, dims } of training.trainable) {
      const values = name.endsWith('lora_A.weight') ? weights(name, dims) : new Float32Array(dims[0] * dims[1]);
      feeds[name] = new Tensor('float32', values, dims);
    }
    expected = (await session.run(feeds)).logits.data as Float32Array;
    await session.release();
  });
  afterAll(async () => {
    await inference?.release();
  });

  const emptyCache = () => {
    const cache: Record<string, Tensor> = {};
    for (let layer = 0; layer < config.numHiddenLayers; layer++) {
      for (const kind of ['key', 'value']) {
        cache[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [
          2,
          config.numKeyValueHeads,
          0,
          config.headDim,
        ]);
      }
    }
    return cache;
  };

  /** Largest |difference| between the logits of tokens [from, to) and the training graph's, over kept tokens. */
  function error(logits: Tensor, from: number, to: number): number {
    const data = logits.data as Float32Array;
    let largest = 0;
    for (let row = 0; row < 2; row++) {
      for (let token = from; token < to; token++) {
        if (MASK[row][token] === 0) continue;
        for (let index = 0; index < vocabulary; index++) {
          const actual = data[(row * (to - from) + token - from) * vocabulary + index];
          largest = Math.max(largest, Math.abs(actual - expected[(row * 8 + token) * vocabulary + index]));
        }
      }
    }
    return largest;
  }

  it('gives the training graph’s logits for a whole left-padded batch without a cache', async () => {
    const result = await inference.run({
      ...emptyCache(),
      input_ids: int64(IDS),
      attention_mask: int64(MASK),
      position_ids: int64(POSITIONS),
    });
    expect(result.logits.dims).toEqual([2, 8, vocabulary]);
    expect(result['present.1.value'].dims).toEqual([2, config.numKeyValueHeads, 8, config.headDim]);
    expect(Math.max(...Array.from(expected, Math.abs))).toBeGreaterThan(0.5);
    expect(error(result.logits, 0, 8)).toBeLessThan(2e-5);
  });

  it('gives the same logits decoding incrementally: a 5-token prefill, then one token at a time from the cache', async () => {
    let cache = emptyCache();
    const steps: [number, number][] = [
      [0, 5],
      [5, 6],
      [6, 7],
      [7, 8],
    ];
    for (const [from, to] of steps) {
      const result = await inference.run({
        ...cache,
        input_ids: int64(columns(IDS, from, to)),
        attention_mask: int64(columns(MASK, 0, to)),
        position_ids: int64(columns(POSITIONS, from, to)),
      });
      expect(error(result.logits, from, to)).toBeLessThan(2e-5);
      cache = {};
      for (let layer = 0; layer < config.numHiddenLayers; layer++) {
        for (const kind of ['key', 'value'])
          cache[`past_key_values.${layer}.${kind}`] = result[`present.${layer}.${kind}`];
      }
    }
  });

  it('takes inputs_embeds instead of input_ids for a VLM decoder (embed_tokens.onnx gives them)', async () => {
    const embed = await InferenceSession.create(exportEmbedTokensModel(config, weights));
    const decoder = await InferenceSession.create(exportInferenceModel({ config, weights, input: 'inputs_embeds' }));
    try {
      expect(decoder.inputNames[0]).toBe('inputs_embeds');
      const { inputs_embeds } = await embed.run({ input_ids: int64(IDS) });
      expect(inputs_embeds.dims).toEqual([2, 8, config.hiddenSize]);
      const result = await decoder.run({
        ...emptyCache(),
        inputs_embeds,
        attention_mask: int64(MASK),
        position_ids: int64(POSITIONS),
      });
      expect(error(result.logits, 0, 8)).toBeLessThan(2e-5);
    } finally {
      await embed.release();
      await decoder.release();
    }
  });

  it('names every projection like Optimum: MatMul node + transposed onnx::MatMul_<n> initializer (+ Add for biases)', () => {
    const graph = buildInferenceGraph({ config, weights });
    const initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer.value]));
    const shapes = projectionShapes(config);
    const seen = new Set<string>();
    for (let layer = 0; layer < config.numHiddenLayers; layer++) {
      for (const target of TARGETS) {
        const block =
          target.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(target) ? 'mlp' : 'self_attn';
        const path = `/model/layers.${layer}/${block}/${target}`;
        const node = graph.nodes.find((candidate) => candidate.name === `${path}/MatMul`);
        expect(node?.opType).toBe('MatMul');
        const weightName = node!.inputs[1];
        expect(weightName).toMatch(/^onnx::MatMul_\d+$/);
        expect(seen.has(weightName)).toBe(false);
        seen.add(weightName);
        const [out, inFeatures] = shapes[target];
        const stored = initializers.get(weightName)!;
        expect(stored.dims).toEqual([inFeatures, out]);
        // Stored [in, out]: entry (i, o) is W[o, i].
        const hf = weights(`model.layers.${layer}.${block}.${target}.weight`, [out, inFeatures]);
        expect(stored.data[1 * out + 2]).toBe(hf[2 * inFeatures + 1]);
        const add = graph.nodes.find((candidate) => candidate.name === `${path}/Add`);
        if (config.attentionBias && ['q_proj', 'k_proj', 'v_proj'].includes(target)) {
          expect(add?.inputs).toEqual([`model.layers.${layer}.${block}.${target}.bias`, node!.outputs[0]]);
        } else {
          expect(add).toBeUndefined();
        }
      }
    }
    expect(graph.nodes.find((node) => node.name === '/lm_head/MatMul')?.inputs[1]).toMatch(/^onnx::MatMul_\d+$/);
  });
});
