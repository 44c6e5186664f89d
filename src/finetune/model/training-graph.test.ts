import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { uniformValues } from '../random.ts';
import { dropoutMask } from '../train/dropout-mask.ts';
import { mergeInputsEmbeds } from '../train/inputs-embeds.ts';
import type { FloatType } from './graph-context.ts';
import { type BlockCase, readTestData, tokens } from './test-support/block-case.ts';
import { buildTrainingGraph } from './training-graph.ts';
import { randomWeights } from './weight-source.ts';

interface BlockGolden {
  loss: number;
  torchFloat32MaxRelativeError: number;
  gradients: Record<string, { dims: number[]; values: number[] }>;
}

/** max |actual − expected| / max |expected|: the error relative to the tensor's scale. */
function relativeError(actual: ArrayLike<number>, expected: readonly number[]): number {
  let error = 0;
  let scale = 0;
  expected.forEach((value, index) => {
    error = Math.max(error, Math.abs(actual[index] - value));
    scale = Math.max(scale, Math.abs(value));
  });
  return error / scale;
}

async function runCase(name: string, type: FloatType) {
  const testCase = readTestData<BlockCase>(`${name}.case.json`);
  const golden = readTestData<BlockGolden>(`${name}.golden.json`);
  const weights = randomWeights(testCase.seed);
  const { config, inputsEmbeds, loraDropout } = testCase;
  const { graph, trainable, gradients, dropoutMasks } = buildTrainingGraph({
    config,
    lora: testCase.lora,
    weights,
    type,
    input: inputsEmbeds ? 'embeds' : 'ids',
  });
  const floats = (values: Float32Array, dims: number[]) =>
    type === 'float64' ? new Tensor('float64', Float64Array.from(values), dims) : new Tensor('float32', values, dims);
  const feeds: Record<string, Tensor> = {
    attention_mask: tokens(testCase.attentionMask),
    position_ids: tokens(testCase.positionIds),
    labels: tokens(testCase.labels),
  };
  const [batch, sequence] = [testCase.inputIds.length, testCase.inputIds[0].length];
  if (inputsEmbeds) {
    const { hiddenSize } = config;
    const imageFeatures = testCase.inputIds.map((row, index) => {
      const count = row.filter((token) => token === inputsEmbeds.imageTokenId).length * hiddenSize;
      return Float32Array.from(uniformValues(inputsEmbeds.seed, `image features ${index}`, count));
    });
    const embeddings = weights('model.embed_tokens.weight', [config.vocabularySize, hiddenSize]);
    const merged = mergeInputsEmbeds({
      inputIds: testCase.inputIds,
      embeddings,
      hiddenSize,
      ...inputsEmbeds,
      imageFeatures,
    });
    feeds.inputs_embeds = floats(merged, [batch, sequence, hiddenSize]);
  } else {
    feeds.input_ids = tokens(testCase.inputIds);
  }
  expect(dropoutMasks.length).toBe(loraDropout ? 8 : 0);
  for (const mask of dropoutMasks) {
    const count = batch * sequence * mask.features;
    feeds[mask.name] = floats(dropoutMask(loraDropout!.seed, mask.name, count, loraDropout!.probability), [
      batch,
      sequence,
      mask.features,
    ]);
  }
  for (const tensor of trainable) {
    const values = weights(tensor.name, tensor.dims);
    feeds[tensor.name] =
      type === 'float64'
        ? new Tensor('float64', Float64Array.from(values), tensor.dims)
        : new Tensor('float32', values, tensor.dims);
  }
  // float64: basic optimizations only, since the extended level folds MatMul·scale into a FusedMatMul
  // whose alpha is float32 (a 1e-10 blur). float32 runs with the defaults training will use.
  const session = await InferenceSession.create(graph.toBytes(), {
    graphOptimizationLevel: type === 'float64' ? 'basic' : 'all',
  });
  try {
    const result = await session.run(feeds);
    const loss = Number(result.loss.data[0]);
    const gradientErrors: Record<string, number> = {};
    for (const tensor of trainable) {
      const expected = golden.gradients[tensor.name];
      const actual = result[gradients.get(tensor.name)!];
      expect(actual.dims).toEqual(expected.dims);
      gradientErrors[tensor.name] = relativeError(actual.data as Float32Array | Float64Array, expected.values);
    }
    expect(Object.keys(gradientErrors).sort()).toEqual(Object.keys(golden.gradients).sort());
    const maxGradientError = Math.max(...Object.values(gradientErrors));
    if (process.env.MMKIT_REPORT_ERRORS) {
      console.log(name, type, 'loss', Math.abs(loss - golden.loss) / golden.loss, 'gradients', maxGradientError);
    }
    return { loss, golden, gradientErrors, maxGradientError };
  } finally {
    await session.release();
  }
}

describe.each(['llama-tiny', 'qwen2-tiny', 'llama-dropout', 'qwen2-embeds'])(
  '%s training graph vs PyTorch autograd',
  (name) => {
    it('matches the float64 loss and every LoRA gradient in float64', async () => {
      const { loss, golden, maxGradientError, gradientErrors } = await runCase(name, 'float64');
      expect(Math.abs(loss - golden.loss) / golden.loss).toBeLessThan(1e-12);
      expect(maxGradientError).toBeLessThan(1e-9);
      // 2 layers × q/k/v/o × A and B.
      expect(Object.keys(gradientErrors)).toHaveLength(16);
    });

    it('stays within 1e-5 relative error in float32 (the bar is 1e-4)', async () => {
      const { loss, golden, maxGradientError } = await runCase(name, 'float32');
      expect(Math.abs(loss - golden.loss) / golden.loss).toBeLessThan(1e-5);
      expect(maxGradientError).toBeLessThan(1e-5);
    });
  },
);
