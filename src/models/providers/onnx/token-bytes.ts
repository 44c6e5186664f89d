/**
 * The UTF-8 bytes each token writes, as a "byte string" (one character per byte, code 0–255).
 * Constrained decoding reads answers byte by byte: a token that holds part of a character
 * (byte-level BPE splits most Chinese characters in two or three; SentencePiece falls back to
 * `<0xE5>`-style byte tokens) decodes alone to U+FFFD, which would make keys and enum values with
 * such characters impossible to write and string lengths wrong.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';

const REPLACEMENT = '\uFFFD';
/** SentencePiece's mark for a space before a word. */
const WORD_START = '\u2581';
const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** GPT-2's reversible mapping from bytes to printable characters (byte-level BPE vocabularies). */
export function byteLevelAlphabet(): string[] {
  const printable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const characters: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    characters.push(String.fromCodePoint(printable(byte) ? byte : 256 + shifted++));
  }
  return characters;
}

/** Text as a byte string of its UTF-8 encoding. */
export function utf8ByteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const cache = new WeakMap<PreTrainedTokenizer, readonly string[]>();

/** Each token id's bytes (built once per tokenizer, on first use). */
export function tokenBytes(tokenizer: PreTrainedTokenizer): readonly string[] {
  let table = cache.get(tokenizer);
  if (!table) {
    const byteOf = new Map(byteLevelAlphabet().map((character, byte) => [character, byte]));
    const bytes: string[] = [];
    for (const [token, id] of tokenizer.get_vocab()) {
      // A vocabulary with unused ids lists them without a token.
      if (typeof token !== 'string') continue;
      const alone = tokenizer.decode([id]);
      // SentencePiece decoders strip the space a `▁` stands for at the start of the text; inside an
      // answer the token writes it.
      const text = token.startsWith(WORD_START) && !alone.startsWith(' ') ? ` ${alone}` : alone;
      bytes[id] = text.includes(REPLACEMENT) ? (rawBytes(token, byteOf) ?? utf8ByteString(text)) : utf8ByteString(text);
    }
    table = bytes;
    cache.set(tokenizer, table);
  }
  return table;
}

/** The bytes a token that is part of a character stands for: a byte-fallback token or byte-level BPE. */
function rawBytes(token: string, byteOf: ReadonlyMap<string, number>): string | undefined {
  const fallback = BYTE_FALLBACK.exec(token);
  if (fallback) return String.fromCharCode(Number.parseInt(fallback[1]!, 16));
  let bytes = '';
  for (const character of token) {
    const byte = byteOf.get(character);
    if (byte === undefined) return undefined;
    bytes += String.fromCharCode(byte);
  }
  return bytes;
}
