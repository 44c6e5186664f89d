/**
 * Our own decode loop for decoder-only models with the standard ONNX cache layout
 * (`input_ids`, `attention_mask`, optional `position_ids`, `past_key_values.N.key|value` in and
 * `logits`, `present.N.key|value` out): the session Transformers.js loaded, run directly.
 *
 * Why not `model.generate()`: on a small model its per-step bookkeeping (tensor wrappers, cache
 * objects, position ids recomputed over the whole mask, logits slicing) costs about a third of the
 * step, and it draws samples from a process-wide generator. This loop adds almost nothing to
 * `InferenceSession.run` (see bench/generation.bench.ts). Models with other inputs (vision,
 * recurrent states, `num_logits_to_keep`, …) keep using `generate()`.
 */
import type { PreTrainedModel } from '@huggingface/transformers';
import { type InferenceSession, Tensor } from 'onnxruntime-node';

type CacheType = 'float32' | 'float16';

export interface KvCacheDecoderPlan {
  session: InferenceSession;
  usesPositionIds: boolean;
  /** `past_key_values.N.key` → `present.N.key`, … */
  cacheNames: [past: string, present: string][];
  cacheType: CacheType;
  /** [heads, headDim] of every cache tensor. */
  cacheShape: [number, number];
}

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** The plan for a model this loop can run, or undefined (then use `generate()`). */
export function planKvCacheDecoder(model: PreTrainedModel): KvCacheDecoderPlan | undefined {
  const sessions = (model as unknown as { sessions?: Record<string, InferenceSession> }).sessions ?? {};
  const names = Object.keys(sessions);
  if (names.length !== 1) return undefined;
  const session = sessions[names[0]];
  const inputs = session.inputMetadata ?? [];
  const cacheNames: [string, string][] = [];
  let cacheType: CacheType | undefined;
  let cacheShape: [number, number] | undefined;
  for (const input of inputs) {
    if (input.name === 'input_ids' || input.name === 'attention_mask' || input.name === 'position_ids') continue;
    const match = PAST.exec(input.name);
    if (!match || !input.isTensor || (input.type !== 'float32' && input.type !== 'float16')) return undefined;
    const [, heads, , headDim] = input.shape;
    if (typeof heads !== 'number' || typeof headDim !== 'number' || input.shape.length !== 4) return undefined;
    if (
      (cacheType && cacheType !== input.type) ||
      (cacheShape && (cacheShape[0] !== heads || cacheShape[1] !== headDim))
    ) {
      return undefined;
    }
    cacheType = input.type;
    cacheShape = [heads, headDim];
    const present = `present.${match[1]}.${match[2]}`;
    if (!session.outputNames.includes(present)) return undefined;
    cacheNames.push([input.name, present]);
  }
  const inputNames = new Set(session.inputNames);
  if (!inputNames.has('input_ids') || !inputNames.has('attention_mask') || !session.outputNames.includes('logits')) {
    return undefined;
  }
  if (!cacheType || !cacheShape || cacheNames.length === 0) return undefined;
  return { session, usesPositionIds: inputNames.has('position_ids'), cacheNames, cacheType, cacheShape };
}

function int64Row(values: readonly number[]): Tensor {
  const data = new BigInt64Array(values.length);
  for (let index = 0; index < values.length; index++) data[index] = BigInt(values[index]);
  return new Tensor('int64', data, [1, values.length]);
}

function ones(length: number): Tensor {
  return new Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
}

function counting(from: number, length: number): Tensor {
  const data = new BigInt64Array(length);
  for (let index = 0; index < length; index++) data[index] = BigInt(from + index);
  return new Tensor('int64', data, [1, length]);
}

/** IEEE half to float, for fp16 logits. */
function halfToFloat(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Row `row` of `[1, positions, vocabulary]` logits as floats (a copy); the last row when not given. */
function logitsRow(logits: Tensor, row?: number): Float32Array {
  const vocabulary = logits.dims[logits.dims.length - 1];
  const start = row === undefined ? logits.data.length - vocabulary : row * vocabulary;
  if (logits.type === 'float32') return (logits.data as Float32Array).slice(start, start + vocabulary);
  const halves = logits.data as Uint16Array;
  const values = new Float32Array(vocabulary);
  for (let index = 0; index < vocabulary; index++) values[index] = halfToFloat(halves[start + index]);
  return values;
}

/**
 * The logits after each prompt token, from one run over the prompt (what prefill computes anyway):
 * `visit(position, logits)` sees the distribution over the token after `position`, in order.
 */
export async function visitPromptLogits(
  plan: KvCacheDecoderPlan,
  promptIds: readonly number[],
  visit: (position: number, logits: Float32Array) => void,
): Promise<void> {
  const [heads, headDim] = plan.cacheShape;
  const empty = plan.cacheType === 'float32' ? new Float32Array(0) : new Uint16Array(0);
  const feeds: Record<string, Tensor> = {
    input_ids: int64Row(promptIds),
    attention_mask: ones(promptIds.length),
  };
  for (const [past] of plan.cacheNames) feeds[past] = new Tensor(plan.cacheType, empty, [1, heads, 0, headDim]);
  if (plan.usesPositionIds) feeds.position_ids = counting(0, promptIds.length);
  const logits = (await plan.session.run(feeds)).logits as Tensor;
  const positions = logits.dims[1] ?? 0;
  for (let position = 0; position < positions; position++) visit(position, logitsRow(logits, position));
}

export interface DecodeSteps {
  /** Picks the next token from the last position's logits (greedy or sampled). */
  nextToken(logits: Float32Array): number;
  /** Takes the token; returns false when generation must end. */
  accept(tokenId: number): boolean;
}

/** Prefill the prompt, then one token per step, feeding each step's `present.*` back as the cache. */
export async function runKvCacheDecoder(
  plan: KvCacheDecoderPlan,
  promptIds: readonly number[],
  maxNewTokens: number,
  steps: DecodeSteps,
): Promise<void> {
  const [heads, headDim] = plan.cacheShape;
  const empty = plan.cacheType === 'float32' ? new Float32Array(0) : new Uint16Array(0);
  let cache: Record<string, Tensor> = {};
  for (const [past] of plan.cacheNames) cache[past] = new Tensor(plan.cacheType, empty, [1, heads, 0, headDim]);
  let stepIds: readonly number[] = promptIds;
  let pastLength = 0;
  for (let step = 0; step < maxNewTokens; step++) {
    const feeds: Record<string, Tensor> = {
      ...cache,
      input_ids: int64Row(stepIds),
      attention_mask: ones(pastLength + stepIds.length),
    };
    if (plan.usesPositionIds) feeds.position_ids = counting(pastLength, stepIds.length);
    const outputs = await plan.session.run(feeds);
    const next = steps.nextToken(logitsRow(outputs.logits as Tensor));
    if (!steps.accept(next)) break;
    const nextCache: Record<string, Tensor> = {};
    for (const [past, present] of plan.cacheNames) nextCache[past] = outputs[present] as Tensor;
    cache = nextCache;
    pastLength += stepIds.length;
    stepIds = [next];
  }
}
