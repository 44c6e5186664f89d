/** Reference decoding for tests of models built from mmkit's decoder exporter. */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { DecoderConfig } from '../src/finetune/model/decoder-config.ts';
import { buildTrainingGraph } from '../src/finetune/model/training-graph.ts';
import type { WeightSource } from '../src/finetune/model/weight-source.ts';

/**
 * Greedy decoding by the training graph (no cache: the whole sequence again at every step), an
 * independent path to the tokens the exported ONNX model should generate.
 */
export async function referenceGreedy(
  config: DecoderConfig,
  weights: WeightSource,
  prompt: readonly number[],
  maxNewTokens: number,
  endToken: number,
): Promise<number[]> {
  const training = buildTrainingGraph({
    config,
    lora: { rank: 1, alpha: 1, targets: ['q_proj'] },
    weights,
    type: 'float32',
    outputLogits: true,
  });
  const session = await InferenceSession.create(training.graph.toBytes());
  const tokens = [...prompt];
  const generated: number[] = [];
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      const row = (values: number[]) => new Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
      const feeds: Record<string, Tensor> = {
        input_ids: row(tokens),
        attention_mask: row(tokens.map(() => 1)),
        position_ids: row(tokens.map((_, index) => index)),
        labels: row(tokens),
      };
      // LoRA B = 0: the base model.
      for (const { name, dims } of training.trainable)
        feeds[name] = new Tensor('float32', new Float32Array(dims[0] * dims[1]), dims);
      const logits = (await session.run(feeds)).logits.data as Float32Array;
      const last = logits.subarray((tokens.length - 1) * config.vocabularySize, tokens.length * config.vocabularySize);
      const next = last.indexOf(Math.max(...last));
      generated.push(next);
      if (next === endToken) break;
      tokens.push(next);
    }
  } finally {
    await session.release();
  }
  return generated;
}
