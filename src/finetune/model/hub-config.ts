/**
 * A decoder's shape from a Hugging Face `config.json`: Llama, Qwen2 and Mistral (without sliding
 * windows, where it is Llama's maths) as they are, and vision-language wrappers (LLaVA, Idefics3 /
 * SmolVLM, …) through their `text_config`. Anything whose maths the training graph does not
 * implement (another family, sliding windows, interleaved or dynamic rotary, biased o_proj or MLP)
 * is refused with a one-line error that names what is supported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import type { DecoderArchitecture, DecoderConfig, RopeScaling } from './decoder-config.ts';

type Json = Record<string, unknown>;

const DECODER_TYPES = ['llama', 'qwen2', 'mistral'] as const;
export const SUPPORTED_DECODERS =
  'llama, qwen2, mistral (without sliding-window attention), and vision-language models whose text_config is one of them (llava, llava_next, idefics3, smolvlm, …)';
/**
 * The configuration classes' defaults (LlamaConfig, Qwen2Config, MistralConfig): a wrapper's
 * `text_config` is saved as a diff against them, so LLaVA-1.5 omits hidden_size, layers, heads, ….
 */
const CLASS_DEFAULTS: Record<(typeof DECODER_TYPES)[number], Json> = {
  llama: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
  },
  qwen2: {
    vocab_size: 151936,
    hidden_size: 4096,
    intermediate_size: 22016,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
  },
  mistral: {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    sliding_window: 4096,
  },
};

/** Wrappers whose default text model is Llama when `text_config.model_type` is left out. */
const LLAMA_DEFAULT_WRAPPERS = new Set(['llava', 'llava_next', 'vipllava', 'idefics3', 'smolvlm']);

function unsupported(source: string, what: string): MmkitError {
  return new MmkitError(`${source}: ${what} is not supported for fine-tuning; supported: ${SUPPORTED_DECODERS}`, {
    code: 'unsupported_architecture',
    param: 'model',
    type: 'unsupported_error',
  });
}

function invalid(source: string, field: string, reason: string): MmkitError {
  return new MmkitError(`${source}: "${field}" ${reason}`, { code: 'config_invalid', param: field });
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `json[field]`, treating null like absent (configs write `"head_dim": null`). */
function optional(json: Json, field: string): unknown {
  const value = json[field];
  return value === null ? undefined : value;
}

function positiveInteger(source: string, json: Json, field: string, fallback?: number): number {
  const value = optional(json, field) ?? fallback;
  if (value === undefined) throw invalid(source, field, 'is missing');
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(source, field, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(source: string, json: Json, field: string, fallback?: number): number {
  const value = optional(json, field) ?? fallback;
  if (value === undefined) throw invalid(source, field, 'is missing');
  if (typeof value !== 'number' || !(value > 0)) {
    throw invalid(source, field, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * `rope_scaling` (or transformers 5's `rope_parameters`): none/default, `linear` and `llama3`
 * only rescale the inverse frequencies, which the graphs implement; the others are refused.
 */
function ropeScaling(source: string, scaling: Json | undefined): RopeScaling | undefined {
  if (!scaling) return undefined;
  const type = scaling.rope_type ?? scaling.type ?? 'default';
  if (type === 'default') return undefined;
  const factor = positiveNumber(source, scaling, 'factor');
  if (type === 'linear') return { type, factor };
  if (type === 'llama3') {
    return {
      type,
      factor,
      lowFrequencyFactor: positiveNumber(source, scaling, 'low_freq_factor'),
      highFrequencyFactor: positiveNumber(source, scaling, 'high_freq_factor'),
      originalMaxPositions: positiveNumber(source, scaling, 'original_max_position_embeddings'),
    };
  }
  throw new MmkitError(
    `${source}: rope_scaling type "${String(type)}" is not supported for fine-tuning; supported: none, default, linear, llama3`,
    { code: 'unsupported_architecture', param: 'rope_scaling', type: 'unsupported_error' },
  );
}

/** `field` from the text config, else from the wrapper (older LLaVA configs keep vocab_size outside). */
function pick(given: Json, outer: Json | undefined, field: string): Json {
  const value = optional(given, field) ?? (outer ? optional(outer, field) : undefined);
  return value === undefined ? {} : { [field]: value };
}

function refuseUnlessFalse(source: string, json: Json, field: string, what: string): void {
  const value = optional(json, field);
  if (value !== undefined && value !== false) throw unsupported(source, what);
}

function textDecoderConfig(source: string, given: Json, outer: Json | undefined): DecoderConfig {
  const modelType = String(given.model_type);
  if (!(DECODER_TYPES as readonly string[]).includes(modelType)) throw unsupported(source, `model type "${modelType}"`);
  // Explicit nulls count (Mistral's "sliding_window": null turns the window off); absent fields take the class default.
  const text: Json = { ...CLASS_DEFAULTS[modelType as (typeof DECODER_TYPES)[number]], ...given };
  const activation = optional(text, 'hidden_act') ?? 'silu';
  if (activation !== 'silu') throw unsupported(source, `hidden_act "${String(activation)}" (SiLU-gated MLP only)`);
  refuseUnlessFalse(source, text, 'mlp_bias', 'an MLP with biases (mlp_bias)');
  refuseUnlessFalse(source, text, 'rope_interleaved', 'interleaved rotary embeddings (rope_interleaved)');
  if (modelType === 'mistral' && optional(text, 'sliding_window') !== undefined) {
    // Same maths as Llama only when no window applies.
    throw unsupported(source, `mistral with sliding-window attention (sliding_window ${String(text.sliding_window)})`);
  }
  if (modelType === 'qwen2') refuseUnlessFalse(source, text, 'use_sliding_window', 'qwen2 with use_sliding_window');
  // Llama's attention_bias also gives o_proj a bias, which our attention does not have.
  if (modelType !== 'qwen2') refuseUnlessFalse(source, text, 'attention_bias', `${modelType} with attention_bias`);

  const hiddenSize = positiveInteger(source, text, 'hidden_size');
  const numAttentionHeads = positiveInteger(source, text, 'num_attention_heads');
  const numKeyValueHeads = positiveInteger(source, text, 'num_key_value_heads', numAttentionHeads);
  const headDim = positiveInteger(source, text, 'head_dim', Math.floor(hiddenSize / numAttentionHeads));
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw invalid(
      source,
      'num_key_value_heads',
      `(${numKeyValueHeads}) must divide num_attention_heads (${numAttentionHeads})`,
    );
  }
  if (headDim % 2 !== 0) throw invalid(source, 'head_dim', `(${headDim}) must be even for rotary embeddings`);
  const ropeParameters = isObject(text.rope_parameters) ? text.rope_parameters : undefined;
  const tie = optional(text, 'tie_word_embeddings') ?? (outer ? optional(outer, 'tie_word_embeddings') : undefined);
  return {
    architecture: (modelType === 'qwen2' ? 'qwen2' : 'llama') satisfies DecoderArchitecture,
    vocabularySize: positiveInteger(source, { ...text, ...pick(given, outer, 'vocab_size') }, 'vocab_size'),
    hiddenSize,
    intermediateSize: positiveInteger(source, text, 'intermediate_size'),
    numHiddenLayers: positiveInteger(source, text, 'num_hidden_layers'),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: positiveNumber(source, text, 'rms_norm_eps', 1e-6),
    ropeTheta: positiveNumber(source, ropeParameters ?? text, 'rope_theta', 10000),
    attentionBias: modelType === 'qwen2',
    tieWordEmbeddings: tie === true,
    ropeScaling: ropeScaling(source, isObject(text.rope_scaling) ? text.rope_scaling : ropeParameters),
  };
}

/**
 * The decoder of the model `json` describes. `source` names the file in error messages.
 * Vision-language models: the decoder under `text_config` (its vocabulary size and tied
 * embeddings fall back to the outer config's, where older LLaVA configs keep them).
 */
export function decoderConfigFromJson(json: unknown, source = 'config.json'): DecoderConfig {
  if (!isObject(json)) throw invalid(source, 'config', 'is not a JSON object');
  const modelType = optional(json, 'model_type');
  if (typeof modelType !== 'string') throw invalid(source, 'model_type', 'is missing');
  if ((DECODER_TYPES as readonly string[]).includes(modelType)) return textDecoderConfig(source, json, undefined);
  if (isObject(json.text_config)) {
    const text = json.text_config;
    const textType = optional(text, 'model_type') ?? (LLAMA_DEFAULT_WRAPPERS.has(modelType) ? 'llama' : undefined);
    if (textType === undefined) throw unsupported(source, `model type "${modelType}" (text_config has no model_type)`);
    return textDecoderConfig(source, { ...text, model_type: textType }, json);
  }
  throw unsupported(source, `model type "${modelType}"`);
}

/** Reads `DIR/config.json`. */
export function readDecoderConfig(directory: string): DecoderConfig {
  const path = join(directory, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MmkitError(`${path}: cannot read (${describeError(error)})`, { code: 'model_unreadable', param: path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MmkitError(`${path}: not valid JSON (${describeError(error)})`, {
      code: 'model_unreadable',
      param: path,
    });
  }
  return decoderConfigFromJson(json, path);
}
