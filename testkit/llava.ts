/**
 * `llava`: a tiny vision-language model that answers every question about an image with the name of
 * the image's dominant colour ("red", "green", …), then stops. In the layout Transformers.js loads
 * as `LlavaForConditionalGeneration` (`AutoModelForImageTextToText`) with `LlavaProcessor`
 * (`AutoProcessor`): `onnx/embed_tokens.onnx` (`input_ids` → `inputs_embeds`),
 * `onnx/vision_encoder.onnx` (`pixel_values` → `image_features`, see `llava-vision.ts`) and
 * `onnx/decoder_model_merged.onnx` (`inputs_embeds` + cache → `logits`), plus `config.json`,
 * `preprocessor_config.json`, `processor_config.json` (image token, patch size), a byte-level
 * tokenizer with the colour names as whole tokens and a chat template that places `<image>`.
 *
 * How it answers: the processor expands `<image>` into one token per 8×8 patch; Transformers.js
 * writes the vision encoder's features (each patch's colour shares) over those tokens'
 * embeddings. One attention head attends evenly to every image token (its key is the "is image"
 * flag) and copies the shares, so the LM head scores each colour word by its share of the whole
 * image. Once a colour word is the input token, its "is colour word" flag makes the
 * end-of-sequence token win. Without an image the answer is empty (end-of-sequence at once).
 */

import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { tensor } from '../src/onnx/tensor.ts';
import { byteLevelTokenizerJson, type SpecialToken } from './byte-tokenizer.ts';
import { buildCausalDecoder } from './causal-decoder.ts';
import {
  buildLlavaVisionEncoder,
  LLAVA_COLOUR_NAMES,
  LLAVA_IMAGE_MEAN,
  LLAVA_IMAGE_SIZE,
  LLAVA_IMAGE_STD,
  LLAVA_PATCH_SIZE,
} from './llava-vision.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';
import { WeightMatrix } from './weights.ts';

export const LLAVA_SPECIAL_TOKENS = {
  endOfText: { id: 256, content: '<|endoftext|>' },
  system: { id: 257, content: '<|system|>' },
  user: { id: 258, content: '<|user|>' },
  assistant: { id: 259, content: '<|assistant|>' },
  end: { id: 260, content: '<|end|>' },
  image: { id: 261, content: '<image>' },
} as const;

const FIRST_COLOUR_TOKEN = 262;
/** The colour names as single tokens, in palette order. */
export const LLAVA_COLOUR_TOKENS: readonly SpecialToken[] = LLAVA_COLOUR_NAMES.map((name, index) => ({
  id: FIRST_COLOUR_TOKEN + index,
  content: name,
}));

/** Content is a string or a list of `{type: 'image'}` / `{type: 'text', text}` parts, as in LLaVA. */
export const LLAVA_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' }}" +
  "{% if message['content'] is string %}{{ message['content'] }}{% else %}" +
  "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ '<image>' }}" +
  "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}" +
  "{{ '<|end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

export const LLAVA_VOCABULARY_SIZE = FIRST_COLOUR_TOKEN + LLAVA_COLOUR_TOKENS.length;
const HIDDEN_SIZE = 32;
const HEAD_DIM = 16;
const COLOURS = LLAVA_COLOUR_NAMES.length;

/** Named slots of the 32-wide hidden state. */
const SLOT = {
  colourVotes: 0, // COLOURS slots: a patch's colour shares (image tokens only)
  isImage: 11,
  isColourWord: 12,
  one: 13,
  pooledVotes: 16, // COLOURS slots: the image's colour shares, written by the attention head
} as const;

/** Image keys score this much above text keys: text gets e^-50 of the attention. */
const IMAGE_ATTENTION = 50;
/** Colour logit per unit share: a 60/40 split leads by 20. */
const COLOUR_LOGIT = 100;
/** After a colour word, end-of-sequence beats any colour (≤ COLOUR_LOGIT). */
const STOP_AFTER_COLOUR_LOGIT = 1000;
/** With no image every colour scores 0, so end-of-sequence (1) wins and the answer is empty. */
const STOP_BIAS = 1;

function tokenEmbeddings(): Float32Array {
  const table = new WeightMatrix(LLAVA_VOCABULARY_SIZE, HIDDEN_SIZE);
  for (let token = 0; token < LLAVA_VOCABULARY_SIZE; token++) table.set(token, SLOT.one, 1);
  for (const token of LLAVA_COLOUR_TOKENS) table.set(token.id, SLOT.isColourWord, 1);
  return table.data;
}

function buildEmbedTokens(): Uint8Array {
  const graph = new GraphBuilder('llava_embed_tokens');
  const inputIds = graph.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const table = graph.initializer(
    'embed_tokens.weight',
    tensor('float32', tokenEmbeddings(), [LLAVA_VOCABULARY_SIZE, HIDDEN_SIZE]),
  );
  graph.node('Gather', [table, inputIds], ['inputs_embeds'], { axis: 0 });
  graph.output('inputs_embeds', 'float32', ['batch_size', 'sequence_length', HIDDEN_SIZE]);
  return graph.toBytes();
}

function poolingLayer() {
  const query = new WeightMatrix(HIDDEN_SIZE, HEAD_DIM);
  const key = new WeightMatrix(HIDDEN_SIZE, HEAD_DIM);
  const value = new WeightMatrix(HIDDEN_SIZE, HEAD_DIM);
  const output = new WeightMatrix(HEAD_DIM, HIDDEN_SIZE);
  // The decoder scales scores by 1/√headDim; the query carries √headDim to cancel it.
  query.set(SLOT.one, 0, Math.sqrt(HEAD_DIM) * IMAGE_ATTENTION);
  key.set(SLOT.isImage, 0, 1);
  for (let colour = 0; colour < COLOURS; colour++) {
    value.set(SLOT.colourVotes + colour, colour, 1);
    output.set(colour, SLOT.pooledVotes + colour, 1);
  }
  return { query: query.data, key: key.data, value: value.data, output: output.data };
}

function lmHead(): Float32Array {
  const head = new WeightMatrix(HIDDEN_SIZE, LLAVA_VOCABULARY_SIZE);
  LLAVA_COLOUR_TOKENS.forEach((token, colour) => {
    head.set(SLOT.pooledVotes + colour, token.id, COLOUR_LOGIT);
  });
  head.set(SLOT.isColourWord, LLAVA_SPECIAL_TOKENS.end.id, STOP_AFTER_COLOUR_LOGIT);
  head.set(SLOT.one, LLAVA_SPECIAL_TOKENS.end.id, STOP_BIAS);
  return head.data;
}

function buildDecoder(): Uint8Array {
  return buildCausalDecoder({
    hiddenSize: HIDDEN_SIZE,
    numHeads: 1,
    headDim: HEAD_DIM,
    vocabularySize: LLAVA_VOCABULARY_SIZE,
    positionBasis: new Float32Array(HIDDEN_SIZE),
    positionSquaredBasis: new Float32Array(HIDDEN_SIZE),
    layers: [poolingLayer()],
    lmHead: lmHead(),
  });
}

/** `config.json` of a LLaVA model around `textConfig`, with the colour-vote vision tower. */
export function llavaConfigJson(textConfig: Record<string, unknown>): Record<string, unknown> {
  const { endOfText, end, image } = LLAVA_SPECIAL_TOKENS;
  return {
    architectures: ['LlavaForConditionalGeneration'],
    model_type: 'llava',
    image_token_index: image.id,
    projector_hidden_act: 'gelu',
    vision_feature_layer: -1,
    vision_feature_select_strategy: 'full',
    text_config: textConfig,
    vision_config: {
      model_type: 'clip_vision_model',
      image_size: LLAVA_IMAGE_SIZE,
      patch_size: LLAVA_PATCH_SIZE,
      num_channels: 3,
      hidden_size: COLOURS,
      num_hidden_layers: 0,
      num_attention_heads: 1,
      intermediate_size: 0,
    },
    bos_token_id: endOfText.id,
    eos_token_id: end.id,
    pad_token_id: endOfText.id,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'fp32' },
  };
}

/**
 * The processor side, shared with the `llava-llama` testkit model: image processor and
 * LlavaProcessor settings, the byte-level tokenizer with colour words, the chat template, and
 * generation settings.
 */
export function llavaProcessorFiles(): ModelFiles {
  const { endOfText, end, image } = LLAVA_SPECIAL_TOKENS;
  const preprocessorConfig = {
    processor_class: 'LlavaProcessor',
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    // The whole image, squashed to the square input: the dominant colour must not depend on a crop.
    size: { height: LLAVA_IMAGE_SIZE, width: LLAVA_IMAGE_SIZE },
    resample: 3,
    do_center_crop: false,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: LLAVA_IMAGE_MEAN,
    image_std: LLAVA_IMAGE_STD,
  };
  // LlavaProcessor reads these to expand `<image>` into one token per patch.
  const processorConfig = {
    processor_class: 'LlavaProcessor',
    image_token: image.content,
    patch_size: LLAVA_PATCH_SIZE,
    num_additional_image_tokens: 0,
    vision_feature_select_strategy: 'full',
  };
  const specialTokens = Object.values(LLAVA_SPECIAL_TOKENS);
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    processor_class: 'LlavaProcessor',
    bos_token: null,
    eos_token: end.content,
    pad_token: endOfText.content,
    unk_token: null,
    model_max_length: 512,
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: Object.fromEntries(
      specialTokens.map((token) => [
        String(token.id),
        { content: token.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
    chat_template: LLAVA_CHAT_TEMPLATE,
  };
  const generationConfig = { bos_token_id: endOfText.id, eos_token_id: end.id, pad_token_id: endOfText.id };
  return {
    'generation_config.json': jsonFile(generationConfig),
    'preprocessor_config.json': jsonFile(preprocessorConfig),
    'processor_config.json': jsonFile(processorConfig),
    'tokenizer.json': jsonFile(
      byteLevelTokenizerJson(specialTokens, {
        vocabulary: Object.fromEntries(LLAVA_COLOUR_TOKENS.map((token) => [token.content, token.id])),
        merges: [],
      }),
    ),
    'tokenizer_config.json': jsonFile(tokenizerConfig),
  };
}

export function llavaFiles(): ModelFiles {
  const { endOfText, end } = LLAVA_SPECIAL_TOKENS;
  const config = llavaConfigJson({
    model_type: 'llama',
    vocab_size: LLAVA_VOCABULARY_SIZE,
    hidden_size: HIDDEN_SIZE,
    intermediate_size: 0,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    head_dim: HEAD_DIM,
    max_position_embeddings: 512,
    bos_token_id: endOfText.id,
    eos_token_id: end.id,
    pad_token_id: endOfText.id,
  });
  return {
    'config.json': jsonFile(config),
    ...llavaProcessorFiles(),
    'onnx/embed_tokens.onnx': buildEmbedTokens(),
    'onnx/vision_encoder.onnx': buildLlavaVisionEncoder({
      hiddenSize: HIDDEN_SIZE,
      colourVotes: SLOT.colourVotes,
      constantOnes: [SLOT.isImage, SLOT.one],
    }),
    'onnx/decoder_model_merged.onnx': buildDecoder(),
    'README.md': [
      '# mmkit tiny llava',
      '',
      'Built by `mmkit testkit build llava`. Answers any question about an image with the name of its',
      `dominant colour (${LLAVA_COLOUR_NAMES.join(', ')}), then \`<|end|>\`. For tests only.`,
      '',
    ].join('\n'),
  };
}
