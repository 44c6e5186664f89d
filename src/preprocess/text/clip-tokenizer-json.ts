/**
 * CLIP's tokenizer in Hugging Face's `tokenizer.json` form, built from a BPE vocabulary and merges.
 * Stable Diffusion ONNX repos ship their `tokenizer/` as `vocab.json` + `merges.txt` only, so we
 * assemble the pipeline Hugging Face's converter produces for CLIP: NFC + whitespace collapse +
 * lowercase, CLIP's word regex then byte-level mapping, BPE with a `</w>` end-of-word suffix, and
 * start/end-of-text tokens around every sequence.
 */

export const CLIP_START_TOKEN = '<|startoftext|>';
export const CLIP_END_TOKEN = '<|endoftext|>';

/** CLIP's word pattern (OpenAI's simple_tokenizer): special tokens, contractions, letter runs, single digits, symbol runs. */
export const CLIP_WORD_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export type Vocabulary = Record<string, number>;

/** `merges.txt` → merge pairs, skipping the `#version` header and blank lines. */
export function parseMerges(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
}

function addedToken(content: string, id: number) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** A `tokenizer.json` object equivalent to openai/clip-vit-base-patch32's. */
export function buildClipTokenizerJson(vocabulary: Vocabulary, merges: string[]): Record<string, unknown> {
  const startId = vocabulary[CLIP_START_TOKEN];
  const endId = vocabulary[CLIP_END_TOKEN];
  if (startId === undefined || endId === undefined) {
    throw new Error(`vocabulary lacks ${CLIP_START_TOKEN} or ${CLIP_END_TOKEN}`);
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(CLIP_START_TOKEN, startId), addedToken(CLIP_END_TOKEN, endId)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_WORD_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [CLIP_END_TOKEN, endId],
      cls: [CLIP_START_TOKEN, startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CLIP_END_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab: vocabulary,
      merges,
    },
  };
}

/** The `tokenizer_config.json` that goes with it (openai/clip-vit-base-patch32's, minus file paths). */
export function buildClipTokenizerConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tokenizer_class: 'CLIPTokenizer',
    bos_token: CLIP_START_TOKEN,
    eos_token: CLIP_END_TOKEN,
    unk_token: CLIP_END_TOKEN,
    pad_token: CLIP_END_TOKEN,
    model_max_length: 77,
    do_lower_case: true,
    add_prefix_space: false,
    errors: 'replace',
    ...overrides,
  };
}
