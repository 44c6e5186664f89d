import { describe, expect, it } from 'vitest';
import type { DecoderConfig } from '../model/decoder-config.ts';
import { buildTrainingGraph } from '../model/training-graph.ts';
import { randomWeights } from '../model/weight-source.ts';
import { uniformIntegers } from '../random.ts';
import { accumulateGradients } from './accumulate.ts';
import { LoraTrainer } from './lora-trainer.ts';
import { type FeedContext, microBatchFeeds } from './micro-batch-feeds.ts';
import { relativeDifference } from './test-support/relative-difference.ts';
import type { TrainingExample } from './training-example.ts';

const CONFIG: DecoderConfig = {
  architecture: 'qwen2',
  vocabularySize: 32,
  hiddenSize: 16,
  intermediateSize: 24,
  numHiddenLayers: 1,
  numAttentionHeads: 4,
  numKeyValueHeads: 2,
  headDim: 4,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  attentionBias: true,
};

/** Answers of 1, 6, 2 and 5 tokens: micro-batches of two hold 7 and 7 tokens, weighted differently per row. */
const ROWS: TrainingExample[] = [1, 6, 2, 5].map((answer, row) => ({
  label: `row ${row}`,
  tokens: uniformIntegers(row, 'tokens', 3 + answer, 32),
  trainFrom: 3,
}));

describe('accumulateGradients', () => {
  it('equals one big batch: 2 micro-batches of 2 give the gradient of the batch of 4', async () => {
    const weights = randomWeights(8);
    const training = buildTrainingGraph({
      config: CONFIG,
      lora: { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj'] },
      weights,
      type: 'float32',
    });
    // Non-zero B so that A has a gradient too.
    const parameters = Object.fromEntries(training.trainable.map(({ name, dims }) => [name, weights(name, dims)]));
    const trainer = await LoraTrainer.create(training, parameters);
    const context: FeedContext = { training, config: CONFIG, padTokenId: 0 };
    const batches = (size: number) => (index: number) =>
      microBatchFeeds(context, ROWS.slice(index * size, (index + 1) * size), undefined);
    try {
      const whole = await accumulateGradients(trainer, 1, batches(4));
      const accumulated = await accumulateGradients(trainer, 2, batches(2));
      const singles = await accumulateGradients(trainer, 4, batches(1));
      expect(whole.trainedTokens).toBe(1 + 6 + 2 + 5);
      expect(accumulated.trainedTokens).toBe(14);
      expect(Math.abs(accumulated.loss - whole.loss)).toBeLessThan(1e-6 * whole.loss);
      expect(relativeDifference(accumulated.gradients, whole.gradients)).toBeLessThan(1e-5);
      expect(relativeDifference(singles.gradients, whole.gradients)).toBeLessThan(1e-5);

      // Averaging the micro-batches' mean gradients instead (each row's tokens weighted by its
      // batch) is measurably different: the check above can fail.
      const halves = [await trainer.run(batches(1)(0).feeds), await trainer.run(batches(1)(1).feeds)];
      const meanOfMeans = Object.fromEntries(
        Object.keys(whole.gradients).map((name) => [
          name,
          halves[0].gradients[name].map((value, index) => (value + halves[1].gradients[name][index]) / 2),
        ]),
      );
      const firstTwo = await accumulateGradients(trainer, 2, batches(1));
      expect(relativeDifference(meanOfMeans, firstTwo.gradients)).toBeGreaterThan(1e-2);
    } finally {
      await trainer.release();
    }
  });

  it('evaluates without dropout: a dropout graph fed no draw gives the loss of the plain graph', async () => {
    const weights = randomWeights(9);
    const build = (dropout: number) =>
      buildTrainingGraph({
        config: CONFIG,
        lora: { rank: 2, alpha: 4, targets: ['q_proj', 'o_proj'], dropout },
        weights,
        type: 'float32',
      });
    const [withDropout, plain] = [build(0.3), build(0)];
    expect(withDropout.dropoutMasks).toHaveLength(2);
    const parameters = Object.fromEntries(plain.trainable.map(({ name, dims }) => [name, weights(name, dims)]));
    const losses: number[] = [];
    for (const training of [withDropout, plain]) {
      const trainer = await LoraTrainer.create(training, parameters);
      const context: FeedContext = { training, config: CONFIG, padTokenId: 0 };
      try {
        losses.push((await trainer.run(microBatchFeeds(context, ROWS, undefined).feeds)).loss);
        if (training === withDropout) {
          const drawn = microBatchFeeds(context, ROWS, { probability: 0.3, seed: 1, stream: 'step 0/micro 0' });
          losses.push((await trainer.run(drawn.feeds)).loss);
        }
      } finally {
        await trainer.release();
      }
    }
    const [evaluation, training, plainLoss] = losses;
    expect(evaluation).toBe(plainLoss);
    expect(Math.abs(training - plainLoss)).toBeGreaterThan(1e-4);
  });
});
