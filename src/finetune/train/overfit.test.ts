import { describe, expect, it } from 'vitest';
import { tinyLlamaConfig } from '../../../testkit/llama.ts';
import type { DecoderConfig } from '../model/decoder-config.ts';
import { buildTrainingGraph } from '../model/training-graph.ts';
import { randomWeights, type WeightSource } from '../model/weight-source.ts';
import { uniformIntegers } from '../random.ts';
import { cosineSchedule, learningRateAt } from './cosine-schedule.ts';
import { initialLoraTensors } from './lora-init.ts';
import { LoraTrainer } from './lora-trainer.ts';
import { causalBatch, type TokenBatch } from './token-batch.ts';

const CONFIG: DecoderConfig = tinyLlamaConfig(48);

/**
 * Random weights, except a final norm four times larger: with RMSNorm fixing the hidden scale and
 * a small random LM head, logits could not get confident enough to fit anything (trained models
 * have large final-norm weights).
 */
const weights: WeightSource = (name, dims) => {
  const values = randomWeights(21)(name, dims);
  return name === 'model.norm.weight' ? values.map((value) => value * 4) : values;
};

/** argmax token at every trained position, and the labels there. */
function predictions(logits: Float32Array, batch: TokenBatch): { predicted: number[]; expected: number[] } {
  const vocabulary = CONFIG.vocabularySize;
  const predicted: number[] = [];
  const expected: number[] = [];
  batch.labels.flat().forEach((label, position) => {
    if (label < 0) return;
    const row = logits.subarray(position * vocabulary, (position + 1) * vocabulary);
    predicted.push(row.indexOf(Math.max(...row)));
    expected.push(label);
  });
  return { predicted, expected };
}

describe('LoRA fine-tuning end to end', () => {
  it('overfits four random sequences: loss falls by more than 90 % and greedy predictions become the data', async () => {
    const training = buildTrainingGraph({
      config: CONFIG,
      lora: { rank: 8, alpha: 16, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
      weights,
      type: 'float32',
      outputLogits: true,
    });
    const trainer = await LoraTrainer.create(training, initialLoraTensors(training.trainable, 21));
    // The prompt (first 3 tokens) is not trained, like a question before its answer.
    const batch = causalBatch(
      [0, 1, 2, 3].map((row) => ({ tokens: uniformIntegers(9, `sequence ${row}`, 10, 48), trainFrom: 3 })),
    );
    try {
      const before = await trainer.evaluate(batch);
      const steps = 100;
      const schedule = cosineSchedule(1e-2, steps, 0.05);
      for (let step = 0; step < steps; step++) await trainer.step(batch, learningRateAt(schedule, step));
      const after = await trainer.evaluate(batch);

      if (process.env.MMKIT_REPORT_ERRORS) console.log('overfit loss', before.loss, '→', after.loss);
      expect(after.loss).toBeLessThan(0.1 * before.loss);
      expect(after.loss).toBeLessThan(0.1 * Math.log(CONFIG.vocabularySize));
      const untrained = predictions(before.logits!.data as Float32Array, batch);
      const trained = predictions(after.logits!.data as Float32Array, batch);
      expect(trained.expected).toHaveLength(4 * 7);
      expect(trained.predicted).toEqual(trained.expected);
      const correctBefore = untrained.predicted.filter((token, index) => token === untrained.expected[index]).length;
      expect(correctBefore).toBeLessThan(5);
    } finally {
      await trainer.release();
    }
  });
});
