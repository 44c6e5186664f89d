/**
 * The forward pass shared by the training and inference graphs, from token embeddings to logits:
 * rotary tables, then per layer RMSNorm → attention → residual → RMSNorm → gated MLP → residual,
 * then the final norm and the LM head. One implementation, so both graphs compute the same maths.
 */
import { type AttentionCache, selfAttention } from './attention.ts';
import type { DecoderConfig, LoraConfig } from './decoder-config.ts';
import type { DecoderGraphContext } from './graph-context.ts';
import { gatedMlp } from './mlp.ts';
import { rmsNorm } from './rms-norm.ts';
import { rotaryTables } from './rotary.ts';

export interface DecoderStackInputs {
  /** [batch, sequence, hidden] token embeddings. */
  embeddings: string;
  /** [batch, sequence] int64 positions. */
  positionIds: string;
  /** [batch, 1, sequence, total] booleans: which keys each query sees. */
  allowed: string;
  lora?: LoraConfig;
  /** Inference: the key/value cache of each layer. */
  cache?: (layer: number) => AttentionCache;
}

/** Returns the logits [batch, sequence, vocabulary]. */
export function decoderStack(context: DecoderGraphContext, config: DecoderConfig, inputs: DecoderStackInputs): string {
  const { graph } = context;
  const { hiddenSize, rmsNormEps } = config;
  const rotary = rotaryTables(context, inputs.positionIds, config.headDim, config.ropeTheta, config.ropeScaling);
  let hidden = inputs.embeddings;
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    const attentionInput = rmsNorm(context, hidden, `${prefix}.input_layernorm`, hiddenSize, rmsNormEps);
    const attention = selfAttention(
      context,
      config,
      layer,
      { hidden: attentionInput, rotary, allowed: inputs.allowed, cache: inputs.cache?.(layer) },
      inputs.lora,
    );
    hidden = graph.op('Add', [hidden, attention]);
    const mlpInput = rmsNorm(context, hidden, `${prefix}.post_attention_layernorm`, hiddenSize, rmsNormEps);
    hidden = graph.op('Add', [hidden, gatedMlp(context, config, layer, mlpInput, inputs.lora)]);
  }
  const normalized = rmsNorm(context, hidden, 'model.norm', hiddenSize, rmsNormEps);
  // Exported graphs keep Optimum's separate lm_head MatMul, which adapter patchers look for.
  if (config.tieWordEmbeddings && !context.naming.optimumNames) {
    return context.tiedHead(normalized, config.vocabularySize, hiddenSize);
  }
  return context.projection('lm_head', normalized, [config.vocabularySize, hiddenSize]);
}
