/**
 * A Llama/Qwen2 decoder exported as an ONNX inference graph with a key/value cache, in the layout
 * Transformers.js (and mmkit's own decode loop) run for decoder-only models, computed by the same
 * forward code as the training graph:
 *
 *   `input_ids` [batch, sequence] (or `inputs_embeds` [batch, sequence, hidden] for a VLM's decoder),
 *   `attention_mask` [batch, total], `position_ids` [batch, sequence],
 *   `past_key_values.{i}.key|value` [batch, kvHeads, past, headDim]
 *   → `logits` [batch, sequence, vocabulary], `present.{i}.key|value` [batch, kvHeads, total, headDim].
 *
 * Names follow Optimum's exports, which adapter patchers rely on: each projection is a MatMul node
 * `/model/layers.{i}/self_attn/{q,k,v,o}_proj/MatMul` or `/model/layers.{i}/mlp/{gate,up,down}_proj/MatMul`
 * whose second input is an initializer `onnx::MatMul_<n>` holding the weight transposed to
 * [in, out]; Qwen2's biases follow as `/model/layers.{i}/self_attn/{q,k,v}_proj/Add` (bias first);
 * the LM head is `/lm_head/MatMul`. Norm weights, biases and embeddings keep their Hugging Face names.
 */
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { cachedAttentionAllowed } from './attention.ts';
import { type DecoderConfig, validateDecoderConfig } from './decoder-config.ts';
import { decoderStack } from './decoder-stack.ts';
import { DecoderGraphContext } from './graph-context.ts';
import type { WeightSource } from './weight-source.ts';

export interface InferenceGraphOptions {
  config: DecoderConfig;
  weights: WeightSource;
  /** `input_ids` (default): the graph embeds tokens; `inputs_embeds`: it takes embeddings (a VLM merges image features in first). */
  input?: 'input_ids' | 'inputs_embeds';
}

const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';
const PAST = 'past_sequence_length';
const TOTAL = 'total_sequence_length';

export function buildInferenceGraph(options: InferenceGraphOptions): GraphBuilder {
  const { config } = options;
  validateDecoderConfig(config);
  const graph = new GraphBuilder('main_graph');
  const context = new DecoderGraphContext(graph, 'float32', options.weights, { optimumNames: true });
  const { hiddenSize, vocabularySize, numKeyValueHeads, headDim } = config;

  // Inputs in the order exporters use: ids (or embeddings), attention mask, positions, cache.
  const byEmbeddings = options.input === 'inputs_embeds';
  const sequenceSource = byEmbeddings
    ? graph.input('inputs_embeds', 'float32', [BATCH, SEQUENCE, hiddenSize])
    : graph.input('input_ids', 'int64', [BATCH, SEQUENCE]);
  const attentionMask = graph.input('attention_mask', 'int64', [BATCH, TOTAL]);
  const positionIds = graph.input('position_ids', 'int64', [BATCH, SEQUENCE]);
  const pastDims = [BATCH, numKeyValueHeads, PAST, headDim];
  const past = Array.from({ length: config.numHiddenLayers }, (_, layer) => ({
    pastKey: graph.input(`past_key_values.${layer}.key`, 'float32', pastDims),
    pastValue: graph.input(`past_key_values.${layer}.value`, 'float32', pastDims),
    presentKey: `present.${layer}.key`,
    presentValue: `present.${layer}.value`,
  }));

  const embeddings = byEmbeddings
    ? sequenceSource
    : graph.node(
        'Gather',
        [context.frozen('model.embed_tokens.weight', [vocabularySize, hiddenSize]), sequenceSource],
        ['/model/embed_tokens/Gather_output_0'],
        { axis: 0 },
        { name: '/model/embed_tokens/Gather' },
      )[0];
  const allowed = cachedAttentionAllowed(context, sequenceSource, attentionMask);
  const logits = decoderStack(context, config, { embeddings, positionIds, allowed, cache: (layer) => past[layer] });

  graph.node('Identity', [logits], ['logits']);
  graph.output('logits', 'float32', [BATCH, SEQUENCE, vocabularySize]);
  const presentDims = [BATCH, numKeyValueHeads, TOTAL, headDim];
  for (const { presentKey, presentValue } of past) {
    graph.output(presentKey, 'float32', presentDims);
    graph.output(presentValue, 'float32', presentDims);
  }
  return graph;
}

/** The serialized inference model (`onnx/model.onnx` or `onnx/decoder_model_merged.onnx`). */
export function exportInferenceModel(options: InferenceGraphOptions): Uint8Array {
  return buildInferenceGraph(options).toBytes({ producerName: 'mmkit' });
}

/** `onnx/embed_tokens.onnx` of a VLM: `input_ids` → `inputs_embeds` through the decoder's embedding table. */
export function exportEmbedTokensModel(config: DecoderConfig, weights: WeightSource): Uint8Array {
  const graph = new GraphBuilder('main_graph');
  const context = new DecoderGraphContext(graph, 'float32', weights);
  const inputIds = graph.input('input_ids', 'int64', [BATCH, SEQUENCE]);
  const table = context.frozen('model.embed_tokens.weight', [config.vocabularySize, config.hiddenSize]);
  graph.node('Gather', [table, inputIds], ['inputs_embeds'], { axis: 0 }, { name: '/embed_tokens/Gather' });
  graph.output('inputs_embeds', 'float32', [BATCH, SEQUENCE, config.hiddenSize]);
  return graph.toBytes({ producerName: 'mmkit' });
}
