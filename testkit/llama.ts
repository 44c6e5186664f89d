/**
 * `llama`: a tiny but real Llama chat model for fine-tuning tests, in Hugging Face layout:
 * `config.json` (LlamaForCausalLM), `generation_config.json`, the byte-level tokenizer and chat
 * template of the `llm` model, `model.safetensors` (float32, Hugging Face names: what fine-tuning
 * reads) and `onnx/model.onnx` (exported from the same weights by mmkit's decoder exporter: what
 * inference runs). Unlike `llm`, its weights are seeded, not hand-set: RMSNorm, rotary positions,
 * grouped-query attention and the SiLU-gated MLP all take part, and the answers are arbitrary text
 * until an adapter teaches it something.
 */
import { type DecoderConfig, decoderWeightShapes } from '../src/finetune/model/decoder-config.ts';
import { exportInferenceModel } from '../src/finetune/model/inference-graph.ts';
import { randomWeights, type WeightSource } from '../src/finetune/model/weight-source.ts';
import { encodeSafetensors, type Float32Tensor } from '../src/media/safetensors.ts';
import { LLM_SPECIAL_TOKENS, llmTokenizerFiles } from './llm.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';

const MAX_POSITIONS = 512;
export const TINY_LLAMA_SEED = 2024;

/** hidden 32, 2 layers, 4 query heads sharing 2 key/value heads: every file stays in the kilobytes. */
export function tinyLlamaConfig(vocabularySize: number): DecoderConfig {
  return {
    architecture: 'llama',
    vocabularySize,
    hiddenSize: 32,
    intermediateSize: 64,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    attentionBias: false,
    tieWordEmbeddings: false,
  };
}

export const TINY_LLAMA_CONFIG = tinyLlamaConfig(261);

/**
 * Seeded weights (src/finetune/model/weight-source.ts) with the final norm four times larger:
 * with a small random LM head the logits could never become confident enough to learn an answer
 * (trained models have large final-norm weights).
 */
export function tinyLlamaWeights(seed = TINY_LLAMA_SEED): WeightSource {
  const base = randomWeights(seed);
  return (name, dims) => {
    const values = base(name, dims);
    return name === 'model.norm.weight' ? values.map((value) => value * 4) : values;
  };
}

/** The decoder's fields of a Hugging Face `config.json` (or a VLM's `text_config`). */
export function llamaConfigFields(config: DecoderConfig, tokens: { bos: number; eos: number; pad: number }) {
  return {
    model_type: 'llama',
    vocab_size: config.vocabularySize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: MAX_POSITIONS,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: config.tieWordEmbeddings === true,
    bos_token_id: tokens.bos,
    eos_token_id: tokens.eos,
    pad_token_id: tokens.pad,
  };
}

/**
 * `model.safetensors` with every decoder tensor, named as the checkpoint layout does: `rename`
 * turns a canonical name (`model.layers.0…`, `lm_head.weight`) into the file's name.
 */
export function decoderSafetensors(
  config: DecoderConfig,
  weights: WeightSource,
  rename: (canonical: string) => string = (name) => name,
): Uint8Array {
  const tensors: Record<string, Float32Tensor> = {};
  for (const [name, dims] of decoderWeightShapes(config))
    tensors[rename(name)] = { shape: dims, data: weights(name, dims) };
  return new Uint8Array(encodeSafetensors(tensors, { format: 'pt' }));
}

export function llamaFiles(): ModelFiles {
  const { endOfText, end } = LLM_SPECIAL_TOKENS;
  const config = TINY_LLAMA_CONFIG;
  const weights = tinyLlamaWeights();
  const configJson = {
    architectures: ['LlamaForCausalLM'],
    ...llamaConfigFields(config, { bos: endOfText.id, eos: end.id, pad: endOfText.id }),
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'fp32' },
  };
  return {
    'config.json': jsonFile(configJson),
    ...llmTokenizerFiles(MAX_POSITIONS),
    'model.safetensors': decoderSafetensors(config, weights),
    'onnx/model.onnx': exportInferenceModel({ config, weights }),
    'README.md': [
      '# mmkit tiny llama',
      '',
      'Built by `mmkit testkit build llama`. A 2-layer Llama (hidden 32, grouped-query attention) with',
      `seeded weights (seed ${TINY_LLAMA_SEED}), the chat template and byte-level tokenizer of \`llm\`, float32`,
      '`model.safetensors` for fine-tuning and `onnx/model.onnx` for inference. Its answers are arbitrary',
      'bytes until it is fine-tuned. For tests only.',
      '',
    ].join('\n'),
  };
}
