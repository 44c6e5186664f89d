/**
 * Greedy decoding straight on `onnxruntime-node`, without Transformers.js: prefill the prompt, then
 * feed one token at a time with the returned `present.*` tensors as the next `past_key_values.*`.
 * The reference loop for tests and for measuring the overhead of higher-level chat paths.
 */
import { type InferenceSession, Tensor } from 'onnxruntime-node';

export interface DecodeLoopOptions {
  maxNewTokens: number;
  eosTokenId: number;
  numHeads: number;
  headDim: number;
  /** Test hook: changes what is fed back as the cache (e.g. to show that a broken cache breaks output). */
  transformCache?: (name: string, present: Tensor, step: number) => Tensor;
  /** Test hook: the position id given to the token generated at `step` (default: its true position). */
  positionOf?: (position: number, step: number) => number;
}

function int64Row(values: readonly number[]): Tensor {
  return new Tensor(
    'int64',
    BigInt64Array.from(values, (value) => BigInt(value)),
    [1, values.length],
  );
}

function argmaxOfLastRow(logits: Tensor): number {
  const [, sequence, vocabulary] = logits.dims;
  const data = logits.data as Float32Array;
  const start = (sequence - 1) * vocabulary;
  let best = 0;
  for (let token = 1; token < vocabulary; token++) {
    if (data[start + token] > data[start + best]) best = token;
  }
  return best;
}

/** Generated token ids (without the prompt), ending with the end-of-sequence token when reached. */
export async function greedyDecode(
  session: InferenceSession,
  promptIds: readonly number[],
  options: DecodeLoopOptions,
): Promise<number[]> {
  const layers = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name)).length;
  let cache: Record<string, Tensor> = {};
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ['key', 'value']) {
      cache[`past_key_values.${layer}.${kind}`] = new Tensor('float32', new Float32Array(0), [
        1,
        options.numHeads,
        0,
        options.headDim,
      ]);
    }
  }
  const generated: number[] = [];
  let stepIds = [...promptIds];
  let pastLength = 0;
  for (let step = 0; step < options.maxNewTokens; step++) {
    const positions = stepIds.map((_, index) => {
      const position = pastLength + index;
      return step > 0 && options.positionOf ? options.positionOf(position, step) : position;
    });
    const outputs = await session.run({
      ...cache,
      input_ids: int64Row(stepIds),
      attention_mask: int64Row(new Array(pastLength + stepIds.length).fill(1)),
      position_ids: int64Row(positions),
    });
    const next = argmaxOfLastRow(outputs.logits);
    generated.push(next);
    if (next === options.eosTokenId) break;
    const nextCache: Record<string, Tensor> = {};
    for (const name of Object.keys(cache)) {
      const present = outputs[name.replace('past_key_values', 'present')];
      nextCache[name] = options.transformCache ? options.transformCache(name, present, step) : present;
    }
    cache = nextCache;
    pastLength += stepIds.length;
    stepIds = [next];
  }
  return generated;
}
