/**
 * `llm`: a tiny decoder-only chat model that echoes the last user message, in the Hugging Face
 * layout Transformers.js loads as `LlamaForCausalLM` (`config.json`, `generation_config.json`,
 * `tokenizer.json`, `tokenizer_config.json` with a chat template, `onnx/model.onnx`).
 *
 * How the hand-set weights echo (byte tokens, two attention layers, no training):
 * - Embeddings write each token's id as nine ±1 bits, flags for `<|user|>` and `<|assistant|>`, and
 *   a constant 1; the decoder adds the position p and p² to their own slots.
 * - Layer 0, head 0 scores keys by `γ·is_user + ε·position` and reads the position: it finds the
 *   last `<|user|>` (u). Head 1 does the same for the last `<|assistant|>` (a).
 * - Layer 1, head 0 copies. Its query targets t = p − (a + 1) + (u + 2): the (p − a − 1)-th byte of
 *   the user's message. Keys carry (j, j²), so the score 2βtj − βj² = −β(j − t)² + const peaks at
 *   j = t, and the value (the key token's id bits) lands in the output slots.
 * - The LM head scores every token by how well its id bits match the copied bits.
 * After the message, t reaches the message's `<|end|>`, which is the end-of-sequence token, so
 * generation stops by itself. Every step reads the user's bytes from the cache of earlier steps:
 * a broken key/value cache or wrong position ids produce wrong text, not just different numbers.
 */

import { byteLevelTokenizerJson } from './byte-tokenizer.ts';
import { buildCausalDecoder } from './causal-decoder.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';
import { unitVector, WeightMatrix } from './weights.ts';

export const LLM_SPECIAL_TOKENS = {
  endOfText: { id: 256, content: '<|endoftext|>' },
  system: { id: 257, content: '<|system|>' },
  user: { id: 258, content: '<|user|>' },
  assistant: { id: 259, content: '<|assistant|>' },
  end: { id: 260, content: '<|end|>' },
} as const;

export const LLM_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

const VOCABULARY_SIZE = 261;
const ID_BITS = 9;
const HIDDEN_SIZE = 32;
const NUM_HEADS = 2;
const HEAD_DIM = 16;
/** Past this, float32 rounding in the p² scores blurs neighbouring positions. */
const MAX_POSITIONS = 512;

/** Named slots of the 32-wide hidden state. */
const SLOT = {
  idBits: 0, // 9 slots: the token's id as ±1 bits
  isUser: 9,
  isAssistant: 10,
  one: 11,
  position: 12,
  positionSquared: 13,
  userPosition: 14, // written by layer 0, head 0
  assistantPosition: 15, // written by layer 0, head 1
  copiedBits: 16, // 9 slots, written by layer 1, head 0
} as const;

/** Marker heads: the marker flag outweighs any recency bonus; recency picks the last marker. */
const MARKER_WEIGHT = 10 * (MAX_POSITIONS + 10);
const RECENCY_WEIGHT = 10;
/** Copy head sharpness: neighbours of the target position score 20 lower. */
const COPY_SHARPNESS = 20;
/** Logit per matching id bit: the copied token leads every other token by at least 20. */
const BIT_LOGIT = 10;

function idBit(tokenId: number, bit: number): number {
  return (tokenId >> bit) & 1 ? 1 : -1;
}

function embeddings(): Float32Array {
  const table = new WeightMatrix(VOCABULARY_SIZE, HIDDEN_SIZE);
  for (let token = 0; token < VOCABULARY_SIZE; token++) {
    for (let bit = 0; bit < ID_BITS; bit++) table.set(token, SLOT.idBits + bit, idBit(token, bit));
    table.set(token, SLOT.one, 1);
  }
  table.set(LLM_SPECIAL_TOKENS.user.id, SLOT.isUser, 1);
  table.set(LLM_SPECIAL_TOKENS.assistant.id, SLOT.isAssistant, 1);
  return table.data;
}

const WIDTH = NUM_HEADS * HEAD_DIM;
/** The decoder scales scores by 1/√headDim; queries carry √headDim to cancel it. */
const QUERY_GAIN = Math.sqrt(HEAD_DIM);

function markerLayer() {
  const query = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const key = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const value = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const output = new WeightMatrix(WIDTH, HIDDEN_SIZE);
  const heads = [
    { flag: SLOT.isUser, target: SLOT.userPosition },
    { flag: SLOT.isAssistant, target: SLOT.assistantPosition },
  ];
  heads.forEach(({ flag, target }, head) => {
    const base = head * HEAD_DIM;
    query.set(SLOT.one, base, QUERY_GAIN * MARKER_WEIGHT);
    query.set(SLOT.one, base + 1, QUERY_GAIN * RECENCY_WEIGHT);
    key.set(flag, base, 1);
    key.set(SLOT.position, base + 1, 1);
    value.set(SLOT.position, base, 1);
    output.set(base, target, 1);
  });
  return { query: query.data, key: key.data, value: value.data, output: output.data };
}

function copyLayer() {
  const query = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const key = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const value = new WeightMatrix(HIDDEN_SIZE, WIDTH);
  const output = new WeightMatrix(WIDTH, HIDDEN_SIZE);
  // target t = p + u − a + 1 (content starts two tokens after <|user|>, generation one after <|assistant|>).
  const targetGain = QUERY_GAIN * 2 * COPY_SHARPNESS;
  query.set(SLOT.position, 0, targetGain);
  query.set(SLOT.userPosition, 0, targetGain);
  query.set(SLOT.assistantPosition, 0, -targetGain);
  query.set(SLOT.one, 0, targetGain);
  query.set(SLOT.one, 1, -QUERY_GAIN * COPY_SHARPNESS);
  key.set(SLOT.position, 0, 1);
  key.set(SLOT.positionSquared, 1, 1);
  for (let bit = 0; bit < ID_BITS; bit++) {
    value.set(SLOT.idBits + bit, bit, 1);
    output.set(bit, SLOT.copiedBits + bit, 1);
  }
  // Head 1 stays all zeros: the config declares two heads per layer for both layers.
  return { query: query.data, key: key.data, value: value.data, output: output.data };
}

function lmHead(): Float32Array {
  const head = new WeightMatrix(HIDDEN_SIZE, VOCABULARY_SIZE);
  for (let token = 0; token < VOCABULARY_SIZE; token++) {
    for (let bit = 0; bit < ID_BITS; bit++) head.set(SLOT.copiedBits + bit, token, BIT_LOGIT * idBit(token, bit));
  }
  return head.data;
}

export function buildLlmModel(): Uint8Array {
  return buildCausalDecoder({
    hiddenSize: HIDDEN_SIZE,
    numHeads: NUM_HEADS,
    headDim: HEAD_DIM,
    vocabularySize: VOCABULARY_SIZE,
    embedTokens: embeddings(),
    positionBasis: unitVector(HIDDEN_SIZE, SLOT.position),
    positionSquaredBasis: unitVector(HIDDEN_SIZE, SLOT.positionSquared),
    layers: [markerLayer(), copyLayer()],
    lmHead: lmHead(),
  });
}

/** The byte-level tokenizer, chat template and generation settings, shared with the `llama` testkit model. */
export function llmTokenizerFiles(maxPositions = MAX_POSITIONS): ModelFiles {
  const { endOfText, end } = LLM_SPECIAL_TOKENS;
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: null,
    eos_token: end.content,
    pad_token: endOfText.content,
    unk_token: null,
    model_max_length: maxPositions,
    clean_up_tokenization_spaces: false,
    added_tokens_decoder: Object.fromEntries(
      Object.values(LLM_SPECIAL_TOKENS).map((token) => [
        String(token.id),
        { content: token.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
    chat_template: LLM_CHAT_TEMPLATE,
  };
  const generationConfig = { bos_token_id: endOfText.id, eos_token_id: end.id, pad_token_id: endOfText.id };
  return {
    'generation_config.json': jsonFile(generationConfig),
    'tokenizer.json': jsonFile(byteLevelTokenizerJson(Object.values(LLM_SPECIAL_TOKENS))),
    'tokenizer_config.json': jsonFile(tokenizerConfig),
  };
}

export function llmFiles(): ModelFiles {
  const { endOfText, end } = LLM_SPECIAL_TOKENS;
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: VOCABULARY_SIZE,
    hidden_size: HIDDEN_SIZE,
    intermediate_size: 0,
    num_hidden_layers: 2,
    num_attention_heads: NUM_HEADS,
    num_key_value_heads: NUM_HEADS,
    head_dim: HEAD_DIM,
    max_position_embeddings: MAX_POSITIONS,
    bos_token_id: endOfText.id,
    eos_token_id: end.id,
    pad_token_id: endOfText.id,
    tie_word_embeddings: false,
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'fp32' },
  };
  const { 'generation_config.json': generation, ...tokenizer } = llmTokenizerFiles();
  return {
    'config.json': jsonFile(config),
    'generation_config.json': generation,
    ...tokenizer,
    'onnx/model.onnx': buildLlmModel(),
    'README.md': [
      '# mmkit tiny llm',
      '',
      'Built by `mmkit testkit build llm`. A 2-layer attention-only decoder with hand-set weights that',
      'answers every chat with the last user message, byte for byte, then `<|end|>`. For tests only.',
      '',
    ].join('\n'),
  };
}
