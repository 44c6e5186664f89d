import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelFiles } from '../../../testkit/build.ts';
import { TINY_LLAMA_CONFIG, tinyLlamaWeights } from '../../../testkit/llama.ts';
import { LLAVA_LLAMA_CONFIG, LLAVA_LLAMA_SEED } from '../../../testkit/llava-llama.ts';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { uniformFloat32 } from '../random.ts';
import { batchFeeds, causalBatch } from '../train/token-batch.ts';
import type { DecoderConfig, LoraConfig } from './decoder-config.ts';
import { readDecoderConfig } from './hub-config.ts';
import { openModelWeights } from './model-weights.ts';
import { buildTrainingGraph } from './training-graph.ts';
import type { WeightSource } from './weight-source.ts';

const LORA: LoraConfig = { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'] };
const BATCH = causalBatch([
  { tokens: [258, 10, 104, 105, 260, 10, 259, 10, 111, 107, 260], trainFrom: 8 },
  { tokens: [1, 2, 3, 4, 5] },
]);

/** Loss and gradients of the training graph over `weights`; LoRA tensors seeded by position, so both sides match whatever their names. */
async function lossAndGradients(config: DecoderConfig, weights: WeightSource, modulePrefix?: string) {
  const training = buildTrainingGraph({ config, lora: LORA, weights, type: 'float32', modulePrefix });
  const session = await InferenceSession.create(training.graph.toBytes());
  try {
    const feeds = batchFeeds(BATCH);
    training.trainable.forEach(({ name, dims }, index) => {
      feeds[name] = new Tensor('float32', uniformFloat32(3, `lora/${index}`, dims[0] * dims[1], 0.2), dims);
    });
    const result = await session.run(feeds);
    return {
      names: training.trainable.map((tensor) => tensor.name),
      loss: Number(result.loss.data[0]),
      gradients: training.trainable.map(({ name }) =>
        Array.from(result[training.gradients.get(name)!].data as Float32Array),
      ),
    };
  } finally {
    await session.release();
  }
}

describe.each([
  ['llama', TINY_LLAMA_CONFIG, tinyLlamaWeights(), 'model.'],
  ['llava-llama', LLAVA_LLAMA_CONFIG, tinyLlamaWeights(LLAVA_LLAMA_SEED), 'language_model.model.'],
])('testkit %s read back from config.json + model.safetensors', (architecture, config, weights, prefix) => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-round-trip-'));
    await writeModelFiles(root, tinyModelFiles(architecture));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives the in-memory config and a training graph with the same loss and gradients, LoRA named for the checkpoint', async () => {
    const read = readDecoderConfig(root);
    expect(read).toEqual(config);
    const checkpoint = openModelWeights(root, read);
    try {
      expect(checkpoint.modulePrefix).toBe(prefix);
      const fromFiles = await lossAndGradients(read, checkpoint.source, checkpoint.modulePrefix);
      const inMemory = await lossAndGradients(config, weights);
      expect(fromFiles.names[0]).toBe(`base_model.model.${prefix}layers.0.self_attn.q_proj.lora_A.weight`);
      expect(inMemory.names[0]).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
      expect(fromFiles.loss).toBeGreaterThan(1);
      expect(fromFiles.loss).toBe(inMemory.loss);
      expect(fromFiles.gradients).toEqual(inMemory.gradients);
    } finally {
      checkpoint.close();
    }
  });
});
