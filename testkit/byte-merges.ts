/**
 * Whole words as single tokens of a byte-level BPE tokenizer: each word's byte characters are merged
 * left to right (`Ġ o` → `Ġo`, `Ġo n` → `Ġon`, …), so encoding a listed word gives one id and
 * decoding that id gives the word back, as with a real GPT-2/Whisper vocabulary.
 */
import { type ByteLevelWords, byteToCharacter } from './byte-tokenizer.ts';

export interface ByteLevelWordTokens extends ByteLevelWords {
  /** Word (as written, e.g. `" one"` or `"一"`) → its single token id. */
  ids: Readonly<Record<string, number>>;
  /** The first id after the new tokens. */
  nextId: number;
}

/** Byte-level characters of `text` (GPT-2's mapping of its UTF-8 bytes). */
export function byteLevelCharacters(text: string): string[] {
  const characters = byteToCharacter();
  return Array.from(new TextEncoder().encode(text), (byte) => characters[byte]);
}

/** New tokens get ids from `firstId` on, in order of first appearance. */
export function byteLevelWordTokens(words: readonly string[], firstId: number): ByteLevelWordTokens {
  const vocabulary: Record<string, number> = {};
  const merges: string[] = [];
  const ids: Record<string, number> = {};
  let nextId = firstId;
  for (const word of words) {
    const characters = byteLevelCharacters(word);
    let prefix = characters[0];
    for (const character of characters.slice(1)) {
      const merged = prefix + character;
      if (!(merged in vocabulary)) {
        vocabulary[merged] = nextId++;
        merges.push(`${prefix} ${character}`);
      }
      prefix = merged;
    }
    // A one-byte word is its byte token.
    ids[word] = characters.length === 1 ? new TextEncoder().encode(word)[0] : vocabulary[prefix];
  }
  return { vocabulary, merges, ids, nextId };
}
