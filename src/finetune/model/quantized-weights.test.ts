import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { dequantizeMatrix, type QuantizationFormat, quantizeMatrix } from './block-quantization.ts';
import type { DecoderConfig } from './decoder-config.ts';
import type { FloatType } from './graph-context.ts';
import type { FrozenQuantization } from './quantized-weights.ts';
import { type BlockCase, readCase, tokens } from './test-support/block-case.ts';
import { buildTrainingGraph } from './training-graph.ts';
import { randomWeights, type WeightSource } from './weight-source.ts';

/** The weights a quantized graph computes with: every 2-D frozen matrix through quantize → dequantize. */
function dequantizedWeights(source: WeightSource, format: QuantizationFormat, blockSize: number): WeightSource {
  return (name, dims) => {
    const values = source(name, dims);
    if (dims.length !== 2 || name.includes('lora_')) return values;
    const matrix = quantizeMatrix(values, dims[0], dims[1], { format, blockSize, axis: 1 });
    // float64 values in a Float32Array would round: the reference graph below runs in float64 from these.
    return dequantizeMatrix(matrix) as unknown as Float32Array;
  };
}

async function lossAndGradients(
  testCase: BlockCase,
  weights: WeightSource,
  type: FloatType,
  quantization?: FrozenQuantization,
) {
  const training = buildTrainingGraph({
    config: testCase.config,
    lora: testCase.lora,
    weights,
    type,
    frozenQuantization: quantization,
  });
  const lora = randomWeights(testCase.seed);
  const feeds: Record<string, Tensor> = {
    input_ids: tokens(testCase.inputIds),
    attention_mask: tokens(testCase.attentionMask),
    position_ids: tokens(testCase.positionIds),
    labels: tokens(testCase.labels),
  };
  for (const { name, dims } of training.trainable) {
    const values = lora(name, dims);
    feeds[name] =
      type === 'float64' ? new Tensor('float64', Float64Array.from(values), dims) : new Tensor('float32', values, dims);
  }
  const session = await InferenceSession.create(training.graph.toBytes(), {
    ...training.sessionOptions,
    graphOptimizationLevel: type === 'float64' ? 'basic' : 'all',
  });
  try {
    const result = await session.run(feeds);
    const gradients = new Map<string, ArrayLike<number>>();
    for (const { name } of training.trainable)
      gradients.set(name, result[training.gradients.get(name)!].data as Float64Array);
    return { loss: Number(result.loss.data[0]), gradients, training };
  } finally {
    await session.release();
  }
}

function maxRelativeError(actual: Map<string, ArrayLike<number>>, expected: Map<string, ArrayLike<number>>): number {
  let worst = 0;
  for (const [name, values] of expected) {
    const got = actual.get(name)!;
    let error = 0;
    let scale = 0;
    for (let index = 0; index < values.length; index++) {
      error = Math.max(error, Math.abs(got[index] - values[index]));
      scale = Math.max(scale, Math.abs(values[index]));
    }
    worst = Math.max(worst, error / scale);
  }
  return worst;
}

describe.each<[string, QuantizationFormat, number | undefined]>([
  ['llama-tiny', 'nf4', undefined],
  ['qwen2-tiny', 'int4', undefined],
  // Chunks of 120 weights: the LM head [40 → 24] in 5-column chunks, concatenated; the MLP's down
  // projection in 8-feature (one block) input chunks, summed.
  ['qwen2-tiny', 'nf4', 24 * 5],
])('%s with %s frozen weights (chunk %s)', (name, format, chunkElements) => {
  const testCase = readCase(name);
  const blockSize = 8;
  const quantization: FrozenQuantization = { format, blockSize, chunkElements };
  const source = randomWeights(testCase.seed);

  it('gives the loss and LoRA gradients of a float64 graph on the dequantized weights, in float64 and in float32', async () => {
    const reference = await lossAndGradients(testCase, dequantizedWeights(source, format, blockSize), 'float64');
    const quantized64 = await lossAndGradients(testCase, source, 'float64', quantization);
    const quantized32 = await lossAndGradients(testCase, source, 'float32', quantization);
    const plain = await lossAndGradients(testCase, source, 'float64');

    expect(Math.abs(quantized64.loss - reference.loss) / reference.loss).toBeLessThan(1e-12);
    expect(maxRelativeError(quantized64.gradients, reference.gradients)).toBeLessThan(1e-9);
    expect(Math.abs(quantized32.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(quantized32.gradients, reference.gradients)).toBeLessThan(1e-4);
    expect(quantized64.gradients.size).toBe(16);
    // Quantization does change the model: the unquantized loss differs.
    expect(Math.abs(plain.loss - reference.loss) / reference.loss).toBeGreaterThan(1e-4);
  });

  it('stores every frozen matrix as uint8 codes and recomputes dequantized weights for the backward pass', async () => {
    const { graph } = (await lossAndGradients(testCase, source, 'float32', quantization)).training;
    const floatMatrices = graph.initializers.filter(({ value }) => value.type === 'float32' && value.dims.length === 2);
    // Only the [256, 2] byte table and the [vocabulary, blocks] embedding scales stay 2-D floats.
    expect(floatMatrices.map(({ value }) => value.dims[1]).sort()).toEqual(
      [2, testCase.config.hiddenSize / blockSize].sort(),
    );
    const codes = graph.initializers.filter(({ name }) => name.endsWith('.codes'));
    const { hiddenSize, intermediateSize, vocabularySize, numAttentionHeads, numKeyValueHeads, headDim } =
      testCase.config;
    // Chunked by output columns, or by whole blocks of input features when those outnumber the outputs.
    const chunks = ([inFeatures, outFeatures]: number[]) => {
      if (!chunkElements || inFeatures * outFeatures <= chunkElements) return 1;
      if (inFeatures > outFeatures) {
        return Math.ceil(inFeatures / (Math.max(1, Math.floor(chunkElements / outFeatures / blockSize)) * blockSize));
      }
      return Math.ceil(outFeatures / Math.floor(chunkElements / inFeatures));
    };
    const attention = [numAttentionHeads, numKeyValueHeads, numKeyValueHeads].map((heads) => [
      hiddenSize,
      heads * headDim,
    ]);
    const layer = [
      ...attention,
      [numAttentionHeads * headDim, hiddenSize],
      [hiddenSize, intermediateSize],
      [hiddenSize, intermediateSize],
      [intermediateSize, hiddenSize],
    ];
    const expected =
      2 * layer.map(chunks).reduce((sum, count) => sum + count) + 1 + chunks([hiddenSize, vocabularySize]);
    // 7 projections × 2 layers, the embeddings and the LM head, each in chunks where asked.
    expect(codes).toHaveLength(expected);
    if (chunkElements) expect(expected).toBeGreaterThan(16);
    const decodes = graph.nodes.filter((node) => node.opType === 'Gather' && node.inputs[0] === `${format}_byte_table`);
    // Forward: one per matrix chunk; backward: again for each product whose input needs a gradient.
    expect(decodes.length).toBeGreaterThan(codes.length + 10);
  });
});

describe('session options of a quantized graph', () => {
  const config: DecoderConfig = {
    architecture: 'llama',
    vocabularySize: 256,
    hiddenSize: 128,
    intermediateSize: 256,
    numHiddenLayers: 1,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    attentionBias: false,
  };

  /** Size of the graph ONNX Runtime keeps after its optimizations (written out by the session). */
  async function optimizedBytes(options: InferenceSession.SessionOptions, quantization?: FrozenQuantization) {
    const folder = await mkdtemp(join(tmpdir(), 'mmkit-qlora-'));
    try {
      const training = buildTrainingGraph({
        config,
        lora: { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'] },
        weights: randomWeights(4),
        type: 'float32',
        frozenQuantization: quantization,
      });
      const path = join(folder, 'optimized.onnx');
      const session = await InferenceSession.create(training.graph.toBytes(), {
        ...options,
        optimizedModelFilePath: path,
      });
      await session.release();
      return (await stat(path)).size;
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  it('keep the weights 4-bit after optimization, where default options fold them back to float32', async () => {
    const quantization: FrozenQuantization = { format: 'nf4' };
    const float32 = await optimizedBytes({});
    const kept = await optimizedBytes(
      buildTrainingGraph({
        config,
        lora: { rank: 4, alpha: 8, targets: ['q_proj'] },
        weights: randomWeights(4),
        type: 'float32',
        frozenQuantization: quantization,
      }).sessionOptions,
      quantization,
    );
    const folded = await optimizedBytes({}, quantization);
    expect(kept).toBeLessThan(0.25 * float32);
    // Default folding turns every forward dequantization into a float32 initializer (the backward
    // recomputation waits for a gradient, so it stays).
    expect(folded).toBeGreaterThan(0.5 * float32);
  });
});

describe('a tied LM head (tie_word_embeddings)', () => {
  const testCase = readCase('qwen2-tiny');
  const tiedCase: BlockCase = { ...testCase, config: { ...testCase.config, tieWordEmbeddings: true } };
  const source = randomWeights(testCase.seed);
  // The same model untied: an LM head holding a copy of the embeddings.
  const copiedHead: WeightSource = (name, dims) =>
    source(name === 'lm_head.weight' ? 'model.embed_tokens.weight' : name, dims);

  it.each<[string, FrozenQuantization | undefined]>([
    ['float', undefined],
    ['nf4 in 5-row chunks', { format: 'nf4', blockSize: 8, chunkElements: 24 * 5 }],
  ])('reads the embedding table (%s), stored once, and trains like a copied head', async (_, quantization) => {
    const tied = await lossAndGradients(tiedCase, source, 'float64', quantization);
    const copied = await lossAndGradients(testCase, copiedHead, 'float64', quantization);
    expect(Math.abs(tied.loss - copied.loss) / copied.loss).toBeLessThan(1e-12);
    // float32 with every ONNX Runtime optimization (fusions) too.
    const tied32 = await lossAndGradients(tiedCase, source, 'float32', quantization);
    expect(Math.abs(tied32.loss - copied.loss) / copied.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(tied32.gradients, copied.gradients)).toBeLessThan(1e-4);
    expect(maxRelativeError(tied.gradients, copied.gradients)).toBeLessThan(1e-9);
    const names = tied.training.graph.initializers.map(({ name }) => name);
    expect(names.filter((name) => name.startsWith('lm_head'))).toEqual([]);
    expect(names.filter((name) => name.startsWith('model.embed_tokens.weight'))).toEqual(
      quantization
        ? ['model.embed_tokens.weight.codes', 'model.embed_tokens.weight.scales']
        : ['model.embed_tokens.weight'],
    );
    expect(copied.training.graph.initializers.some(({ name }) => name.startsWith('lm_head'))).toBe(true);
  });
});
