/**
 * A training batch for a causal LM: token rows right-padded to one length, with labels shifted
 * so that position t is trained to predict token t + 1 (Hugging Face shifts inside the model; our
 * loss takes aligned labels). Positions before `trainFrom` (the prompt) and padding get −100.
 */
import { Tensor } from 'onnxruntime-node';
import { IGNORE_INDEX } from '../graph/masked-cross-entropy.ts';

export interface TokenBatch {
  inputIds: number[][];
  attentionMask: number[][];
  positionIds: number[][];
  labels: number[][];
}

export interface TrainingSequence {
  tokens: readonly number[];
  /** Predict tokens from this index on (the answer's first token); default 1 (everything). */
  trainFrom?: number;
}

export function causalBatch(sequences: readonly TrainingSequence[], padToken = 0): TokenBatch {
  const length = Math.max(...sequences.map((sequence) => sequence.tokens.length));
  const batch: TokenBatch = { inputIds: [], attentionMask: [], positionIds: [], labels: [] };
  for (const { tokens, trainFrom = 1 } of sequences) {
    const row = (make: (index: number) => number) => Array.from({ length }, (_, index) => make(index));
    batch.inputIds.push(row((index) => tokens[index] ?? padToken));
    batch.attentionMask.push(row((index) => (index < tokens.length ? 1 : 0)));
    batch.positionIds.push(row((index) => index));
    // Position t predicts token t + 1, when that token exists and is trained.
    batch.labels.push(
      row((index) => (index + 1 < tokens.length && index + 1 >= trainFrom ? tokens[index + 1] : IGNORE_INDEX)),
    );
  }
  return batch;
}

/** The batch as int64 feeds named like the training graph's inputs. */
export function batchFeeds(batch: TokenBatch): Record<string, Tensor> {
  const tensor = (rows: number[][]) =>
    new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]?.length ?? 0]);
  return {
    input_ids: tensor(batch.inputIds),
    attention_mask: tensor(batch.attentionMask),
    position_ids: tensor(batch.positionIds),
    labels: tensor(batch.labels),
  };
}
