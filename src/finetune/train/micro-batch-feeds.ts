/**
 * The feeds of one micro-batch: token ids, or `inputs_embeds` with the frozen image features
 * merged in; the attention mask, positions and shifted labels; and a dropout mask per LoRA module
 * (drawn from `stream` during training, ones for evaluation).
 */
import { Tensor } from 'onnxruntime-node';
import type { DecoderConfig } from '../model/decoder-config.ts';
import type { TrainingLayout } from '../model/training-graph.ts';
import { dropoutMask } from './dropout-mask.ts';
import { mergeInputsEmbeds } from './inputs-embeds.ts';
import { batchFeeds, causalBatch } from './token-batch.ts';
import type { TrainingExample } from './training-example.ts';

export interface FeedContext {
  training: TrainingLayout;
  config: DecoderConfig;
  padTokenId: number;
  /** Embedding table [vocabulary, hidden], needed when the graph takes `inputs_embeds`. */
  embeddings?: Float32Array;
  imageTokenId?: number;
  readFeatures?: (image: string) => Float32Array;
}

export interface DropoutDraw {
  probability: number;
  seed: number;
  /** Unique per micro-batch, e.g. `step 12/micro 3`. */
  stream: string;
}

export interface MicroBatch {
  feeds: Record<string, Tensor>;
  /** Positions with a label: the loss's denominator. */
  trainedTokens: number;
  /** Real (non-padding) tokens in the batch, for tokens/s. */
  inputTokens: number;
}

export function microBatchFeeds(
  context: FeedContext,
  examples: readonly TrainingExample[],
  dropout: DropoutDraw | undefined,
): MicroBatch {
  const batch = causalBatch(
    examples.map((example) => ({ tokens: example.tokens, trainFrom: Math.max(1, example.trainFrom) })),
    context.padTokenId,
  );
  const feeds = batchFeeds(batch);
  const rows = batch.inputIds.length;
  const sequence = batch.inputIds[0]?.length ?? 0;
  if (context.training.input === 'embeds') {
    if (!context.embeddings) throw new Error('an inputs_embeds graph needs the embedding table');
    const { hiddenSize } = context.config;
    const imageFeatures = examples.map((example) =>
      example.image !== undefined && context.readFeatures ? context.readFeatures(example.image) : undefined,
    );
    const merged = mergeInputsEmbeds({
      inputIds: batch.inputIds,
      embeddings: context.embeddings,
      hiddenSize,
      ...(context.imageTokenId === undefined ? {} : { imageTokenId: context.imageTokenId }),
      imageFeatures,
    });
    feeds.inputs_embeds = new Tensor('float32', merged, [rows, sequence, hiddenSize]);
  }
  for (const mask of context.training.dropoutMasks) {
    const count = rows * sequence * mask.features;
    const values = dropout
      ? dropoutMask(dropout.seed, `${dropout.stream}/${mask.module}`, count, dropout.probability)
      : new Float32Array(count).fill(1);
    feeds[mask.name] = new Tensor('float32', values, [rows, sequence, mask.features]);
  }
  const trainedTokens = batch.labels.flat().filter((label) => label >= 0).length;
  const inputTokens = batch.attentionMask.flat().filter((kept) => kept === 1).length;
  return { feeds, trainedTokens, inputTokens };
}
