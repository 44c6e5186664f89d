/**
 * Turns generated token ids into text deltas as they arrive, never emitting half a character.
 *
 * Byte-level tokenizers split one Chinese character (3 UTF-8 bytes) over several tokens, and
 * decoding an incomplete sequence yields U+FFFD. We decode a short window of recent tokens twice,
 * without and with the new ones, and emit the difference only when it does not end in U+FFFD;
 * otherwise the tokens wait for the next step. The window starts at the last emitted boundary, so
 * the cost per token stays constant and tokenizers that strip a leading space at the start of a
 * decode (SentencePiece) cannot change text that was already emitted.
 */
const REPLACEMENT_CHARACTER = '\uFFFD';

export type DecodeTokens = (tokenIds: number[]) => string;

export class IncrementalDetokenizer {
  private readonly tokenIds: number[] = [];
  /** Start of the decode window: tokens before it are emitted and settled. */
  private prefixOffset = 0;
  /** End of what the emitted text covers. */
  private readOffset = 0;

  private readonly decode: DecodeTokens;

  constructor(decode: DecodeTokens) {
    // Tokenizers refuse to decode an empty list.
    this.decode = (tokenIds) => (tokenIds.length === 0 ? '' : decode(tokenIds));
  }

  get tokenCount(): number {
    return this.tokenIds.length;
  }

  /** Adds one token; returns the text that is now final (often '', e.g. mid-character). */
  push(tokenId: number): string {
    this.tokenIds.push(tokenId);
    const settled = this.decode(this.tokenIds.slice(this.prefixOffset, this.readOffset));
    const current = this.decode(this.tokenIds.slice(this.prefixOffset));
    if (current.length <= settled.length || current.endsWith(REPLACEMENT_CHARACTER)) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = this.tokenIds.length;
    return current.slice(settled.length);
  }

  /**
   * The text of tokens still held back, at the end of generation. Bytes of a character that
   * generation cut off (a trailing U+FFFD) are dropped rather than shown as a broken character.
   */
  flush(): string {
    const settled = this.decode(this.tokenIds.slice(this.prefixOffset, this.readOffset));
    const current = this.decode(this.tokenIds.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.tokenIds.length;
    let rest = current.slice(settled.length);
    while (rest.endsWith(REPLACEMENT_CHARACTER)) rest = rest.slice(0, -1);
    return rest;
  }
}
