/**
 * A tiny byte-level tokenizer in the Hugging Face `tokenizer.json` format: one token per UTF-8 byte
 * (GPT-2's byte-to-character mapping, a BPE model with no merges) plus a few special tokens. Any
 * text in any script round-trips, with a 256-entry vocabulary that keeps tiny models tiny.
 */
import { byteLevelAlphabet } from '../src/models/providers/onnx/token-bytes.ts';

export interface SpecialToken {
  id: number;
  content: string;
}

/** GPT-2's reversible mapping from bytes to printable characters, so byte tokens survive JSON. */
export const byteToCharacter = byteLevelAlphabet;

/** Token ids of `text` under the byte tokenizer (no special tokens are recognised). */
export function byteTokenIds(text: string): number[] {
  return Array.from(new TextEncoder().encode(text));
}

/** Whole-word tokens on top of the bytes: their vocabulary entries and the BPE merges that build them. */
export interface ByteLevelWords {
  vocabulary: Readonly<Record<string, number>>;
  merges: readonly string[];
}

/**
 * The `tokenizer.json` document. Byte `b` has id `b`; special tokens take the ids given; `words`
 * (optional) adds merged tokens. Special tokens with `special: false` (e.g. Whisper's timestamps)
 * are added tokens that decoding keeps.
 */
export function byteLevelTokenizerJson(
  specialTokens: readonly (SpecialToken & { special?: boolean })[],
  words: ByteLevelWords = { vocabulary: {}, merges: [] },
): object {
  const vocabulary: Record<string, number> = {};
  byteToCharacter().forEach((character, byte) => {
    vocabulary[character] = byte;
  });
  Object.assign(vocabulary, words.vocabulary);
  for (const token of specialTokens) vocabulary[token.content] = token.id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((token) => ({
      id: token.id,
      content: token.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: token.special ?? true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabulary,
      merges: [...words.merges],
    },
  };
}
