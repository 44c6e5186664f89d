/**
 * Where fine-tuning meets the model-weights and adapter packages: one function each, so wiring
 * them is a one-line change here.
 *
 * - `openTrainingModel`: the decoder's `DecoderConfig` and fp32 weights from a model folder. An
 *   interim reader of `config.json` (`text_config` for LLaVA) and `model.safetensors`; to be
 *   replaced by `decoderConfigFromJson(configJson)` + `openModelWeights(dir, config)`.
 * - `writeTrainedAdapter`: the PEFT folder (`finetune/train/adapter-folder.ts`); to point at
 *   `writePeftAdapter(dir, adapter)` from `src/models/adapters/`.
 * - The tuned model in `compare` is the base model with `ChatRequest.adapter` (see `compare.ts`,
 *   `withAdapter`), which the onnx provider serves once adapter inference lands.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import type { DecoderConfig } from '../../finetune/model/decoder-config.ts';
import type { WeightSource } from '../../finetune/model/weight-source.ts';
import { type TrainedAdapter, writeAdapterFolder } from '../../finetune/train/adapter-folder.ts';
import { SafetensorsFile } from '../../media/safetensors.ts';

export interface TrainingModel {
  config: DecoderConfig;
  weights: WeightSource;
  /** Where the decoder's modules sit in the model: `model.` for a plain LM, `language_model.model.` in LLaVA. */
  modulePrefix: string;
  close(): void;
}

const SUPPORTED = ['llama', 'qwen2'] as const;

function unsupported(folder: string, reason: string): MmkitError {
  return new MmkitError(`${folder}: ${reason}`, {
    code: 'unsupported_model',
    param: 'model',
    type: 'unsupported_error',
  });
}

function interimDecoderConfig(folder: string, json: Record<string, unknown>): DecoderConfig {
  const text = (json.text_config ?? json) as Record<string, number | boolean | string | undefined>;
  const type = String(text.model_type ?? '');
  if (!(SUPPORTED as readonly string[]).includes(type)) {
    throw unsupported(
      folder,
      `decoder model type "${type || 'missing'}" cannot be trained; supported: ${SUPPORTED.join(', ')}`,
    );
  }
  const number = (name: string, fallback?: number): number => {
    const value = text[name] ?? fallback;
    if (typeof value !== 'number' || !(value > 0)) throw unsupported(folder, `config.json has no usable ${name}`);
    return value;
  };
  const heads = number('num_attention_heads');
  const hiddenSize = number('hidden_size');
  return {
    architecture: type as DecoderConfig['architecture'],
    vocabularySize: number('vocab_size'),
    hiddenSize,
    intermediateSize: number('intermediate_size'),
    numHiddenLayers: number('num_hidden_layers'),
    numAttentionHeads: heads,
    numKeyValueHeads: number('num_key_value_heads', heads),
    headDim: number('head_dim', hiddenSize / heads),
    rmsNormEps: number('rms_norm_eps', 1e-6),
    ropeTheta: number('rope_theta', 10000),
    attentionBias: type === 'qwen2' ? true : text.attention_bias === true,
  };
}

/** The decoder's config and fp32 weights (interim reader; see the header). */
export function openTrainingModel(folder: string): TrainingModel {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw unsupported(folder, `no readable config.json (${describeError(error)})`);
  }
  const config = interimDecoderConfig(folder, json);
  const path = join(folder, 'model.safetensors');
  if (!existsSync(path)) throw unsupported(folder, 'training needs the fp32 weights in model.safetensors');
  const file = SafetensorsFile.open(path);
  const prefixes = ['', 'language_model.'];
  const prefix = prefixes.find((candidate) => file.entries.has(`${candidate}model.layers.0.self_attn.q_proj.weight`));
  if (prefix === undefined) {
    file.close();
    throw unsupported(folder, 'model.safetensors has no decoder layers where a Llama/Qwen2 model keeps them');
  }
  const tied =
    json.tie_word_embeddings === true || (json.text_config as Record<string, unknown>)?.tie_word_embeddings === true;
  const weights: WeightSource = (name, dims) => {
    const stored = tied && name === 'lm_head.weight' ? 'model.embed_tokens.weight' : name;
    const entry = file.entries.get(`${prefix}${stored}`);
    if (!entry || entry.shape.join(',') !== dims.join(',')) {
      throw unsupported(folder, `model.safetensors: ${prefix}${stored} is missing or not [${dims.join(', ')}]`);
    }
    return file.float32(`${prefix}${stored}`);
  };
  return { config, weights, modulePrefix: `${prefix}model.`, close: () => file.close() };
}

/** Writes the trained adapter folder. */
export function writeTrainedAdapter(dir: string, adapter: TrainedAdapter): { config: string; weights: string } {
  return writeAdapterFolder(dir, adapter);
}
