/**
 * Gradient accumulation that equals one big batch. Each micro-batch's loss is a mean over its own
 * trained tokens, so its gradients are weighted by that token count and the sum is divided by the
 * total count: the result is the gradient of the mean over every trained token of the optimizer
 * step, whatever way the rows were split (what Hugging Face's Trainer does with
 * `num_items_in_batch`). Sums run in float64.
 */
import type { LoraTrainer } from './lora-trainer.ts';
import type { MicroBatch } from './micro-batch-feeds.ts';

export interface AccumulatedStep {
  /** Mean loss over the step's trained tokens. */
  loss: number;
  gradients: Record<string, Float32Array>;
  trainedTokens: number;
  inputTokens: number;
}

export async function accumulateGradients(
  trainer: LoraTrainer,
  microBatches: number,
  makeMicroBatch: (index: number) => MicroBatch,
  signal?: AbortSignal,
): Promise<AccumulatedStep> {
  const sums = new Map<string, Float64Array>();
  let lossSum = 0;
  let trainedTokens = 0;
  let inputTokens = 0;
  for (let index = 0; index < microBatches; index++) {
    signal?.throwIfAborted();
    const batch = makeMicroBatch(index);
    inputTokens += batch.inputTokens;
    if (batch.trainedTokens === 0) continue;
    const { loss, gradients } = await trainer.run(batch.feeds);
    trainedTokens += batch.trainedTokens;
    lossSum += loss * batch.trainedTokens;
    for (const [name, gradient] of Object.entries(gradients)) {
      let sum = sums.get(name);
      if (!sum) {
        sum = new Float64Array(gradient.length);
        sums.set(name, sum);
      }
      for (let element = 0; element < gradient.length; element++)
        sum[element] += gradient[element] * batch.trainedTokens;
    }
  }
  const gradients: Record<string, Float32Array> = {};
  for (const [name, value] of Object.entries(trainer.parameters)) {
    const sum = sums.get(name);
    gradients[name] = sum ? Float32Array.from(sum, (total) => total / trainedTokens) : new Float32Array(value.length);
  }
  return { loss: trainedTokens > 0 ? lossSum / trainedTokens : 0, gradients, trainedTokens, inputTokens };
}
