/**
 * The ONNX graph of a tiny attention-only causal decoder with a key/value cache, in the layout
 * Transformers.js runs for decoder-only models (`input_ids` or `inputs_embeds`, `attention_mask`,
 * `position_ids`, `past_key_values.{i}.key|value` → `logits`, `present.{i}.key|value`).
 *
 * Each layer is multi-head attention with a residual connection (no norms, no MLP): hand-set
 * weights read and write named slots of the hidden state, which keeps the models explainable.
 * Positions enter as polynomial features (`position` and `position²` times fixed basis vectors),
 * so a head can score keys by their distance to a target position with a plain dot product.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';

export interface AttentionWeights {
  /** [hidden, heads·headDim] each. */
  query: Float32Array;
  key: Float32Array;
  value: Float32Array;
  /** [heads·headDim, hidden]. */
  output: Float32Array;
}

export interface CausalDecoderWeights {
  hiddenSize: number;
  numHeads: number;
  headDim: number;
  vocabularySize: number;
  /** [vocabulary, hidden]; omitted: the graph takes `inputs_embeds` instead of `input_ids`. */
  embedTokens?: Float32Array;
  /** [hidden]: added to the hidden state times the position. */
  positionBasis: Float32Array;
  /** [hidden]: added to the hidden state times the squared position. */
  positionSquaredBasis: Float32Array;
  layers: readonly AttentionWeights[];
  /** [hidden, vocabulary]. */
  lmHead: Float32Array;
}

/** Keys a query may not see get this score: far below any real score, yet finite (no NaN rows). */
const MASKED_SCORE = -1e30;

export function buildCausalDecoder(weights: CausalDecoderWeights): Uint8Array {
  const { hiddenSize, numHeads, headDim, vocabularySize } = weights;
  const graph = new GraphBuilder('causal_decoder');
  // Inputs in the order exporters use: ids (or embeddings), attention mask, positions, cache.
  const sequenceSource = weights.embedTokens
    ? graph.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
    : graph.input('inputs_embeds', 'float32', ['batch_size', 'sequence_length', hiddenSize]);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = graph.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const tokens = weights.embedTokens
    ? graph.op(
        'Gather',
        [
          graph.initializer(
            'embed_tokens.weight',
            tensor('float32', weights.embedTokens, [vocabularySize, hiddenSize]),
          ),
          sequenceSource,
        ],
        { axis: 0 },
      )
    : sequenceSource;

  // Polynomial position features: hidden += p·positionBasis + p²·positionSquaredBasis.
  const position = graph.op('Unsqueeze', [
    graph.op('Cast', [positionIds], { to: 1 }),
    graph.constant(int64Tensor([-1])),
  ]);
  const positionSquared = graph.op('Mul', [position, position]);
  const basis = graph.initializer('position_basis', tensor('float32', weights.positionBasis, [hiddenSize]));
  const squaredBasis = graph.initializer(
    'position_squared_basis',
    tensor('float32', weights.positionSquaredBasis, [hiddenSize]),
  );
  let hidden = graph.op('Add', [
    tokens,
    graph.op('Add', [graph.op('Mul', [position, basis]), graph.op('Mul', [positionSquared, squaredBasis])]),
  ]);

  const allowed = buildAllowedMask(graph, attentionMask, sequenceSource);
  const headsShape = graph.constant(int64Tensor([0, 0, numHeads, headDim]), 'heads_shape');
  const mergedShape = graph.constant(int64Tensor([0, 0, numHeads * headDim]), 'merged_shape');
  const scale = graph.constant(floatTensor([1 / Math.sqrt(headDim)], []), 'attention_scale');
  const maskedScore = graph.constant(floatTensor([MASKED_SCORE], []), 'masked_score');

  const presents: string[] = [];
  weights.layers.forEach((layer, index) => {
    const prefix = `layers.${index}.self_attn`;
    const project = (name: string, matrix: Float32Array, rows: number, columns: number, input: string) =>
      graph.op('MatMul', [
        input,
        graph.initializer(`${prefix}.${name}.weight`, tensor('float32', matrix, [rows, columns])),
      ]);
    const splitHeads = (projection: string) =>
      graph.op('Transpose', [graph.op('Reshape', [projection, headsShape])], { perm: [0, 2, 1, 3] });

    const width = numHeads * headDim;
    const query = splitHeads(project('q_proj', layer.query, hiddenSize, width, hidden));
    const key = splitHeads(project('k_proj', layer.key, hiddenSize, width, hidden));
    const value = splitHeads(project('v_proj', layer.value, hiddenSize, width, hidden));
    const cacheDims = ['batch_size', numHeads, 'past_sequence_length', headDim];
    const pastKey = graph.input(`past_key_values.${index}.key`, 'float32', cacheDims);
    const pastValue = graph.input(`past_key_values.${index}.value`, 'float32', cacheDims);
    const presentKey = graph.node('Concat', [pastKey, key], [`present.${index}.key`], { axis: 2 })[0];
    const presentValue = graph.node('Concat', [pastValue, value], [`present.${index}.value`], { axis: 2 })[0];

    const keysTransposed = graph.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] });
    const scores = graph.op('Mul', [graph.op('MatMul', [query, keysTransposed]), scale]);
    const probabilities = graph.op('Softmax', [graph.op('Where', [allowed, scores, maskedScore])], { axis: -1 });
    const context = graph.op('Transpose', [graph.op('MatMul', [probabilities, presentValue])], { perm: [0, 2, 1, 3] });
    const merged = graph.op('Reshape', [context, mergedShape]);
    hidden = graph.op('Add', [hidden, project('o_proj', layer.output, width, hiddenSize, merged)]);

    presents.push(presentKey, presentValue);
  });

  const lmHead = graph.initializer('lm_head.weight', tensor('float32', weights.lmHead, [hiddenSize, vocabularySize]));
  graph.node('MatMul', [hidden, lmHead], ['logits']);
  // Outputs in the order exporters use: logits, then present.{i}.key / value.
  graph.output('logits', 'float32', ['batch_size', 'sequence_length', vocabularySize]);
  const presentDims = ['batch_size', numHeads, 'total_sequence_length', headDim];
  for (const present of presents) graph.output(present, 'float32', presentDims);
  return graph.toBytes();
}

/**
 * [batch, 1, sequence, total] booleans: key k is visible to query i when the attention mask keeps
 * it and it is not in the future (k ≤ past + i, with past = total − sequence).
 */
function buildAllowedMask(graph: GraphBuilder, attentionMask: string, sequenceSource: string): string {
  const total = graph.op('Gather', [graph.op('Shape', [attentionMask]), graph.constant(int64Tensor([1], []))], {
    axis: 0,
  });
  const sequence = graph.op('Gather', [graph.op('Shape', [sequenceSource]), graph.constant(int64Tensor([1], []))], {
    axis: 0,
  });
  const one = graph.constant(int64Tensor([1], []), 'one');
  const zero = graph.constant(int64Tensor([0], []), 'zero');
  const queryIndex = graph.op('Range', [graph.op('Sub', [total, sequence]), total, one]);
  const keyIndex = graph.op('Range', [zero, total, one]);
  const causal = graph.op('LessOrEqual', [
    graph.op('Unsqueeze', [keyIndex, graph.constant(int64Tensor([0]))]),
    graph.op('Unsqueeze', [queryIndex, graph.constant(int64Tensor([1]))]),
  ]);
  const kept = graph.op('Unsqueeze', [
    graph.op('Cast', [attentionMask], { to: 9 }),
    graph.constant(int64Tensor([1, 2])),
  ]);
  return graph.op('And', [causal, kept]);
}
