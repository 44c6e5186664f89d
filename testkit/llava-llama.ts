/**
 * `llava-llama`: a tiny vision-language model to fine-tune. The `llava` model's processor files and
 * vision encoder (its image features are each patch's colour shares), around a real Llama language
 * model with seeded weights (`llama.ts`), so it does not know any colour until it is trained.
 *
 * Inference files in Transformers.js's LLaVA layout: `onnx/vision_encoder.onnx`,
 * `onnx/embed_tokens.onnx` and `onnx/decoder_model_merged.onnx` (mmkit's exporter, `inputs_embeds`
 * in). Training reads `model.safetensors`, which names the language model as LLaVA checkpoints
 * saved before transformers 4.52 do: `language_model.model.layers.…`, `language_model.lm_head.weight`.
 * The projector is not in it: the vision side (encoder and projector in one ONNX graph) is not
 * LLaVA's CLIP + MLP, and it stays frozen.
 */
import { exportEmbedTokensModel, exportInferenceModel } from '../src/finetune/model/inference-graph.ts';
import { decoderSafetensors, llamaConfigFields, tinyLlamaConfig, tinyLlamaWeights } from './llama.ts';
import { LLAVA_SPECIAL_TOKENS, LLAVA_VOCABULARY_SIZE, llavaConfigJson, llavaProcessorFiles } from './llava.ts';
import { buildLlavaVisionEncoder, LLAVA_COLOUR_NAMES } from './llava-vision.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';

export const LLAVA_LLAMA_SEED = 2025;
export const LLAVA_LLAMA_CONFIG = tinyLlamaConfig(LLAVA_VOCABULARY_SIZE);

/** Canonical decoder names → the checkpoint's (LLaVA's language model wrapper). */
export function llavaCheckpointName(canonical: string): string {
  return `language_model.${canonical}`;
}

export function llavaLlamaFiles(): ModelFiles {
  const { endOfText, end } = LLAVA_SPECIAL_TOKENS;
  const config = LLAVA_LLAMA_CONFIG;
  const weights = tinyLlamaWeights(LLAVA_LLAMA_SEED);
  const textConfig = llamaConfigFields(config, { bos: endOfText.id, eos: end.id, pad: endOfText.id });
  return {
    'config.json': jsonFile(llavaConfigJson(textConfig)),
    ...llavaProcessorFiles(),
    'model.safetensors': decoderSafetensors(config, weights, llavaCheckpointName),
    'onnx/embed_tokens.onnx': exportEmbedTokensModel(config, weights),
    // Colour shares in the first slots of each image token; RMSNorm makes them as loud as words.
    'onnx/vision_encoder.onnx': buildLlavaVisionEncoder({
      hiddenSize: config.hiddenSize,
      colourVotes: 0,
      constantOnes: [],
    }),
    'onnx/decoder_model_merged.onnx': exportInferenceModel({ config, weights, input: 'inputs_embeds' }),
    'README.md': [
      '# mmkit tiny llava-llama',
      '',
      'Built by `mmkit testkit build llava-llama`. The `llava` processor and colour-share vision encoder',
      `(${LLAVA_COLOUR_NAMES.join(', ')}) around a 2-layer Llama with seeded weights (seed ${LLAVA_LLAMA_SEED}):`,
      'its answers are arbitrary until it is fine-tuned. `model.safetensors` holds the language model under',
      "LLaVA's names (`language_model.model.layers.…`, `language_model.lm_head.weight`). For tests only.",
      '',
    ].join('\n'),
  };
}
