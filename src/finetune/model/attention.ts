/**
 * Grouped-query self-attention of a Llama/Qwen2 layer: q/k/v projections (LoRA where targeted,
 * Qwen2's biases on q/k/v), rotary embeddings, each key/value head shared by numHeads/numKvHeads
 * query heads (Unsqueeze → Expand → Reshape, like Hugging Face's repeat_kv), causal and padding
 * mask, softmax, o_proj. Inference graphs pass a key/value cache: the rotated keys and the values
 * of earlier tokens ([batch, kvHeads, past, headDim]) are concatenated in front of the new ones,
 * and the results are the layer's `present` outputs.
 */
import type { DecoderConfig, LoraConfig, LoraTarget } from './decoder-config.ts';
import { projectionName, projectionShapes } from './decoder-config.ts';
import type { DecoderGraphContext } from './graph-context.ts';
import { linear } from './lora-linear.ts';
import { applyRotary, type RotaryTables } from './rotary.ts';

/** Score for keys a query may not see: exp() of it minus the row max is exactly 0 in float32. */
const MASKED_SCORE = -1e9;

export interface AttentionInputs {
  hidden: string;
  rotary: RotaryTables;
  /** [batch, 1, sequence, total] booleans: query i may attend to key j. */
  allowed: string;
  cache?: AttentionCache;
}

export interface AttentionCache {
  pastKey: string;
  pastValue: string;
  /** Output names for the concatenated keys and values. */
  presentKey: string;
  presentValue: string;
}

export function selfAttention(
  context: DecoderGraphContext,
  config: DecoderConfig,
  layer: number,
  inputs: AttentionInputs,
  lora: LoraConfig | undefined,
): string {
  const { graph } = context;
  const { numAttentionHeads: heads, numKeyValueHeads: kvHeads, headDim } = config;
  const shapes = projectionShapes(config);
  const project = (target: LoraTarget, input: string, bias: boolean) =>
    linear(context, input, {
      name: projectionName(layer, target),
      outFeatures: shapes[target][0],
      inFeatures: shapes[target][1],
      bias,
      lora: lora?.targets.includes(target) ? lora : undefined,
    });
  const splitHeads = (projection: string, count: number) =>
    graph.op('Transpose', [graph.op('Reshape', [projection, context.ints([0, 0, count, headDim])])], {
      perm: [0, 2, 1, 3],
    });

  const query = applyRotary(
    context,
    splitHeads(project('q_proj', inputs.hidden, config.attentionBias), heads),
    inputs.rotary,
    headDim,
  );
  let key = applyRotary(
    context,
    splitHeads(project('k_proj', inputs.hidden, config.attentionBias), kvHeads),
    inputs.rotary,
    headDim,
  );
  let value = splitHeads(project('v_proj', inputs.hidden, config.attentionBias), kvHeads);
  if (inputs.cache) {
    const { pastKey, pastValue, presentKey, presentValue } = inputs.cache;
    key = graph.node('Concat', [pastKey, key], [presentKey], { axis: 2 })[0];
    value = graph.node('Concat', [pastValue, value], [presentValue], { axis: 2 })[0];
  }
  const groups = heads / kvHeads;
  if (groups > 1) {
    const repeat = (states: string) =>
      graph.op('Reshape', [
        graph.op('Expand', [graph.op('Unsqueeze', [states, context.ints([2])]), context.ints([1, 1, groups, 1, 1])]),
        context.ints([0, heads, -1, headDim]),
      ]);
    key = repeat(key);
    value = repeat(value);
  }

  const scores = graph.op('Mul', [
    graph.op('MatMul', [query, graph.op('Transpose', [key], { perm: [0, 1, 3, 2] })]),
    context.scalar(1 / Math.sqrt(headDim), 'attention_scale'),
  ]);
  const masked = graph.op('Where', [inputs.allowed, scores, context.scalar(MASKED_SCORE, 'masked_score')]);
  const probabilities = graph.op('Softmax', [masked], { axis: -1 });
  const context_ = graph.op('Transpose', [graph.op('MatMul', [probabilities, value])], { perm: [0, 2, 1, 3] });
  const merged = graph.op('Reshape', [context_, context.ints([0, 0, heads * headDim])]);
  return project('o_proj', merged, false);
}

/**
 * [batch, 1, sequence, total] with a cache of past = total − sequence tokens: key k is visible to
 * query i when k ≤ past + i and the attention mask ([batch, total]) keeps k.
 */
export function cachedAttentionAllowed(context: DecoderGraphContext, sequenceSource: string, attentionMask: string) {
  const { graph } = context;
  const axisOne = graph.constant(context.int64Scalar(1), 'axis_one');
  const total = graph.op('Gather', [graph.op('Shape', [attentionMask]), axisOne], { axis: 0 });
  const sequence = graph.op('Gather', [graph.op('Shape', [sequenceSource]), axisOne], { axis: 0 });
  const one = graph.constant(context.int64Scalar(1), 'one');
  const queryIndex = graph.op('Range', [graph.op('Sub', [total, sequence]), total, one]);
  const keyIndex = graph.op('Range', [graph.constant(context.int64Scalar(0), 'zero'), total, one]);
  const causal = graph.op('LessOrEqual', [
    graph.op('Unsqueeze', [keyIndex, context.ints([0])]),
    graph.op('Unsqueeze', [queryIndex, context.ints([1])]),
  ]);
  const kept = graph.op('Unsqueeze', [graph.op('Cast', [attentionMask], { to: 9 }), context.ints([1, 2])]);
  return graph.op('And', [causal, kept]);
}

/**
 * [batch, 1, sequence, sequence]: key j is visible to query i when j ≤ i and the attention mask
 * keeps j. Built from the mask's shape at run time, so batch and sequence stay symbolic.
 */
export function attentionAllowed(context: DecoderGraphContext, attentionMask: string): string {
  const { graph } = context;
  const sequence = graph.op(
    'Gather',
    [graph.op('Shape', [attentionMask]), graph.constant(context.int64Scalar(1), 'axis_one')],
    {
      axis: 0,
    },
  );
  const positions = graph.op('Range', [
    graph.constant(context.int64Scalar(0), 'zero'),
    sequence,
    graph.constant(context.int64Scalar(1), 'one'),
  ]);
  const causal = graph.op('LessOrEqual', [
    graph.op('Unsqueeze', [positions, context.ints([0])]),
    graph.op('Unsqueeze', [positions, context.ints([1])]),
  ]);
  const kept = graph.op('Unsqueeze', [graph.op('Cast', [attentionMask], { to: 9 }), context.ints([1, 2])]);
  return graph.op('And', [causal, kept]);
}
