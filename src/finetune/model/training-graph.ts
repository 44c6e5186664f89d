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
import { GraphBuilder } from '../../onnx/graph-builder.ts';
import { appendGradients } from '../graph/gradient-builder.ts';
import { maskedCrossEntropy } from '../graph/masked-cross-entropy.ts';
import { attentionAllowed, selfAttention } from './attention.ts';
import type { DecoderConfig, LoraConfig } from './decoder-config.ts';
import { validateDecoderConfig } from './decoder-config.ts';
import { DecoderGraphContext, type DropoutMaskInput, type FloatType, type TrainableTensor } from './graph-context.ts';
import { gatedMlp } from './mlp.ts';
import { rmsNorm } from './rms-norm.ts';
import { rotaryTables } from './rotary.ts';
import type { WeightSource } from './weight-source.ts';

export interface TrainingGraphOptions {
  config: DecoderConfig;
  lora: LoraConfig;
  weights: WeightSource;
  type: FloatType;
  /** Also output `logits` [batch, sequence, vocabulary] (for evaluation and tests). */
  outputLogits?: boolean;
  /** `ids` (default): token ids, embedded in the graph; `embeds`: `inputs_embeds` fed by the caller. */
  input?: 'ids' | 'embeds';
}

export interface TrainingGraph {
  graph: GraphBuilder;
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
  const context = new DecoderGraphContext(graph, type, options.weights);
  const tokenDims = [BATCH, SEQUENCE];
  const input = options.input ?? 'ids';
  const inputIds = input === 'ids' ? graph.input('input_ids', 'int64', tokenDims) : undefined;
  const inputsEmbeds =
    input === 'embeds' ? graph.input('inputs_embeds', type, [BATCH, SEQUENCE, config.hiddenSize]) : undefined;
  const attentionMask = graph.input('attention_mask', 'int64', tokenDims);
  const positionIds = graph.input('position_ids', 'int64', tokenDims);
  const labels = graph.input('labels', 'int64', tokenDims);

  const { hiddenSize, rmsNormEps } = config;
  let hidden =
    inputsEmbeds ??
    graph.op('Gather', [context.frozen('model.embed_tokens.weight', [config.vocabularySize, hiddenSize]), inputIds!], {
      axis: 0,
    });
  const rotary = rotaryTables(context, positionIds, config.headDim, config.ropeTheta);
  const allowed = attentionAllowed(context, attentionMask);

  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const attentionInput = rmsNorm(context, hidden, `${prefix}.input_layernorm`, hiddenSize, rmsNormEps);
    hidden = graph.op('Add', [
      hidden,
      selfAttention(context, config, layer, { hidden: attentionInput, rotary, allowed }, lora),
    ]);
    const mlpInput = rmsNorm(context, hidden, `${prefix}.post_attention_layernorm`, hiddenSize, rmsNormEps);
    hidden = graph.op('Add', [hidden, gatedMlp(context, config, layer, mlpInput, lora)]);
  }

  const normalized = rmsNorm(context, hidden, 'model.norm', hiddenSize, rmsNormEps);
  const lmHead = context.frozen('lm_head.weight', [config.vocabularySize, hiddenSize], true);
  const logits = graph.op('MatMul', [normalized, lmHead]);
  graph.node('Identity', [maskedCrossEntropy(graph, logits, labels, { type })], ['loss']);
  graph.output('loss', type, []);
  if (options.outputLogits) {
    graph.node('Identity', [logits], ['logits']);
    graph.output('logits', type, [BATCH, SEQUENCE, config.vocabularySize]);
  }

  const { gradients } = appendGradients(graph, {
    loss: 'loss',
    trainable: context.trainable.map((tensor) => tensor.name),
    gradientName: (name) => `${name}.grad`,
  });
  for (const tensor of context.trainable) graph.output(gradients.get(tensor.name)!, type, tensor.dims);
  return { graph, trainable: context.trainable, gradients, dropoutMasks: context.dropoutMasks, input };
}
