/**
 * The training graph of a Llama/Qwen2 decoder with LoRA: embedding → layers (RMSNorm, attention,
 * residual, RMSNorm, gated MLP, residual) → final norm → LM head → masked cross-entropy, then the
 * backward nodes for every LoRA tensor. One onnxruntime session run gives the loss and gradients.
 *
 * Inputs: `input_ids`, `attention_mask`, `position_ids`, `labels` ([batch, sequence], int64; labels
 * already aligned with positions, −100 where not trained) and the LoRA tensors. With `input:
 * 'embeds'` the graph takes `inputs_embeds` [batch, sequence, hidden] instead of `input_ids` (a
 * vision-language model's caller gathers token embeddings and writes the frozen image features over
 * the image tokens, see `train/inputs-embeds.ts`). With LoRA dropout it also takes one
 * `<module>.lora_dropout_mask` per LoRA module. Outputs: `loss` and
 * `<lora name>.grad` for each LoRA tensor (and `logits` on request). Batch and sequence length are symbolic.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { appendGradients } from '../graph/gradient-builder.ts';
import { maskedCrossEntropy } from '../graph/masked-cross-entropy.ts';
import { attentionAllowed } from './attention.ts';
import type { DecoderConfig, LoraConfig } from './decoder-config.ts';
import { validateDecoderConfig } from './decoder-config.ts';
import { decoderStack } from './decoder-stack.ts';
import { DecoderGraphContext, type DropoutMaskInput, type FloatType, type TrainableTensor } from './graph-context.ts';
import { type FrozenQuantization, QUANTIZED_SESSION_OPTIONS } from './quantized-weights.ts';
import type { WeightSource } from './weight-source.ts';

export interface TrainingGraphOptions {
  config: DecoderConfig;
  lora: LoraConfig;
  weights: WeightSource;
  type: FloatType;
  /** Also output `logits` [batch, sequence, vocabulary] (for evaluation and tests). */
  outputLogits?: boolean;
  /** QLoRA (`--qlora`): keep frozen matrices in block-wise 4-bit form, dequantized inside the graph. */
  frozenQuantization?: FrozenQuantization;
  /**
   * Where the checkpoint keeps the decoder (`openModelWeights(…).modulePrefix`, default `model.`):
   * LoRA inputs are named after it, `base_model.model.<prefix>layers.0.self_attn.q_proj.lora_A.weight`.
   */
  modulePrefix?: string;
  /** `ids` (default): token ids, embedded in the graph; `embeds`: `inputs_embeds` fed by the caller. */
  input?: 'ids' | 'embeds';
}

export interface TrainingGraph extends TrainingLayout {
  graph: GraphBuilder;
  /** Options the session running this graph needs (quantized graphs must not fold their weights back). */
  sessionOptions: InferenceSession.SessionOptions;
}

/** What running a training graph needs to know of it, once its session exists (no weights). */
export interface TrainingLayout {
  /** The LoRA tensors (graph inputs), in graph order. */
  trainable: TrainableTensor[];
  /** LoRA tensor name → its gradient output. */
  gradients: ReadonlyMap<string, string>;
  /** The LoRA dropout mask inputs (empty without dropout). */
  dropoutMasks: DropoutMaskInput[];
  input: 'ids' | 'embeds';
}

const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';

export function buildTrainingGraph(options: TrainingGraphOptions): TrainingGraph {
  const { config, lora, type } = options;
  validateDecoderConfig(config);
  const graph = new GraphBuilder('decoder_training');
  const context = new DecoderGraphContext(
    graph,
    type,
    options.weights,
    { modulePrefix: options.modulePrefix },
    options.frozenQuantization,
  );
  const tokenDims = [BATCH, SEQUENCE];
  const input = options.input ?? 'ids';
  const inputIds = input === 'ids' ? graph.input('input_ids', 'int64', tokenDims) : undefined;
  const inputsEmbeds =
    input === 'embeds' ? graph.input('inputs_embeds', type, [BATCH, SEQUENCE, config.hiddenSize]) : undefined;
  const attentionMask = graph.input('attention_mask', 'int64', tokenDims);
  const positionIds = graph.input('position_ids', 'int64', tokenDims);
  const labels = graph.input('labels', 'int64', tokenDims);

  const embeddings =
    inputsEmbeds ??
    context.frozenEmbedding('model.embed_tokens.weight', config.vocabularySize, config.hiddenSize, inputIds!);
  const allowed = attentionAllowed(context, attentionMask);
  const logits = decoderStack(context, config, { embeddings, positionIds, allowed, lora });
  const crossEntropy = maskedCrossEntropy(graph, logits, labels, { type });
  graph.node('Identity', [crossEntropy.loss], ['loss']);
  graph.output('loss', type, []);
  if (options.outputLogits) {
    graph.node('Identity', [logits], ['logits']);
    graph.output('logits', type, [BATCH, SEQUENCE, config.vocabularySize]);
  }

  const { gradients } = appendGradients(graph, {
    loss: 'loss',
    trainable: context.trainable.map((tensor) => tensor.name),
    gradientName: (name) => `${name}.grad`,
    rules: context.quantized?.rules(),
    // A chunked (QLoRA) LM head gets its gradient per chunk, never as a whole.
    shortcuts: (
      context.quantized?.chunksOf(logits) ?? [{ value: logits, offset: 0, width: config.vocabularySize }]
    ).map((slice) => ({ value: slice.value, gradient: (seed: string) => crossEntropy.sliceGradient(seed, slice) })),
    recompute: context.recomputed,
  });
  for (const tensor of context.trainable) graph.output(gradients.get(tensor.name)!, type, tensor.dims);
  const sessionOptions = context.quantized ? QUANTIZED_SESSION_OPTIONS : {};
  return {
    graph,
    trainable: context.trainable,
    gradients,
    sessionOptions,
    dropoutMasks: context.dropoutMasks,
    input,
  };
}
