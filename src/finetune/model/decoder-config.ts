/**
 * The shape of a Llama- or Qwen2-family decoder (the fields of Hugging Face's `config.json` that
 * the training graph needs, in our naming) and of a LoRA adapter on it (PEFT's `adapter_config.json`).
 */

export type DecoderArchitecture = 'llama' | 'qwen2';

export interface DecoderConfig {
  architecture: DecoderArchitecture;
  vocabularySize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Qwen2: q/k/v projections have biases (o_proj does not). */
  attentionBias: boolean;
  /** The LM head reuses the embedding table (`tie_word_embeddings`); default false. */
  tieWordEmbeddings?: boolean;
  /** Rotary frequency scaling (`rope_scaling`); absent: plain θ^(−2i/d). */
  ropeScaling?: RopeScaling;
}

/** The `rope_scaling` types we implement: both only rescale the inverse frequencies. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFrequencyFactor: number;
      highFrequencyFactor: number;
      originalMaxPositions: number;
    };

export type LoraTarget = 'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj';

export interface LoraConfig {
  rank: number;
  alpha: number;
  targets: readonly LoraTarget[];
  /**
   * PEFT's lora_dropout probability. Above 0 the training graph takes one mask input per LoRA
   * module (see `lora-linear.ts`); the probability itself only matters to whoever draws the masks.
   */
  dropout?: number;
}

/** PEFT's scaling of the low-rank update: alpha / r. */
export function loraScale(lora: LoraConfig): number {
  return lora.alpha / lora.rank;
}

/** [output, input] features of each projection of layer `layer`, in Hugging Face's weight layout. */
export function projectionShapes(config: DecoderConfig): Record<LoraTarget, [number, number]> {
  const { hiddenSize, intermediateSize, numAttentionHeads, numKeyValueHeads, headDim } = config;
  return {
    q_proj: [numAttentionHeads * headDim, hiddenSize],
    k_proj: [numKeyValueHeads * headDim, hiddenSize],
    v_proj: [numKeyValueHeads * headDim, hiddenSize],
    o_proj: [hiddenSize, numAttentionHeads * headDim],
    gate_proj: [intermediateSize, hiddenSize],
    up_proj: [intermediateSize, hiddenSize],
    down_proj: [hiddenSize, intermediateSize],
  };
}

/** The Hugging Face parameter name of a projection: `model.layers.0.self_attn.q_proj`. */
export function projectionName(layer: number, target: LoraTarget): string {
  const block =
    target.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(target) ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${block}.${target}`;
}

export function validateDecoderConfig(config: DecoderConfig): void {
  if (config.numAttentionHeads % config.numKeyValueHeads !== 0) {
    throw new RangeError(
      `num_attention_heads (${config.numAttentionHeads}) must be a multiple of num_key_value_heads (${config.numKeyValueHeads})`,
    );
  }
  if (config.headDim % 2 !== 0) throw new RangeError(`head_dim (${config.headDim}) must be even for rotary embeddings`);
}

/**
 * Every frozen tensor of the decoder under its canonical Hugging Face name (`model.…`, `lm_head.weight`)
 * with its dims, in checkpoint order; `lm_head.weight` is left out when tied to the embeddings.
 */
export function decoderWeightShapes(config: DecoderConfig): [name: string, dims: number[]][] {
  const { hiddenSize, vocabularySize } = config;
  const shapes = projectionShapes(config);
  const tensors: [string, number[]][] = [['model.embed_tokens.weight', [vocabularySize, hiddenSize]]];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    tensors.push([`model.layers.${layer}.input_layernorm.weight`, [hiddenSize]]);
    for (const target of Object.keys(shapes) as LoraTarget[]) {
      const module = projectionName(layer, target);
      tensors.push([`${module}.weight`, [...shapes[target]]]);
      if (config.attentionBias && ['q_proj', 'k_proj', 'v_proj'].includes(target)) {
        tensors.push([`${module}.bias`, [shapes[target][0]]]);
      }
    }
    tensors.push([`model.layers.${layer}.post_attention_layernorm.weight`, [hiddenSize]]);
  }
  tensors.push(['model.norm.weight', [hiddenSize]]);
  if (!config.tieWordEmbeddings) tensors.push(['lm_head.weight', [vocabularySize, hiddenSize]]);
  return tensors;
}
