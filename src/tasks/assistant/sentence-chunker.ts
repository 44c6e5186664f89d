/**
 * Cuts a streamed answer into sentences as it arrives, so each can be spoken while the model is
 * still writing the next. A sentence ends at 。！？ or at . ! ? followed by a space (so "3.14" and
 * "e.g.x" stay whole), or at a newline; closing quotes and brackets stay with their sentence. Short
 * pieces ("Sure!", "好的。") merge into the next sentence, so the voice is not chopped into
 * fragments; a long run with no sentence end is cut at a comma or a space past `maxCharacters`.
 */

export interface SentenceChunkerOptions {
  /** A sentence shorter than this merges into the next (Han characters count two). Default 12. */
  minCharacters?: number;
  /** Text with no sentence end is cut once it grows past this many characters. Default 200. */
  maxCharacters?: number;
}

const LATIN_END = new Set(['.', '!', '?']);
const CJK_END = new Set(['。', '！', '？', '…', '\n']);
const CLOSERS = new Set(['"', "'", '”', '’', ')', '）', '」', '』', '】', '》']);
const SOFT_BREAK = /[,，、;；:：\s]/u;
const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const SPEAKABLE = /[\p{L}\p{N}]/u;

/** Length for the merge rule: a Han character says about as much as a short word. */
export function sentenceWeight(text: string): number {
  let weight = 0;
  for (const character of text.trim()) weight += WIDE.test(character) ? 2 : 1;
  return weight;
}

/** Whether a voice has anything to say in `text` (letters or digits). */
export function isSpeakable(text: string): boolean {
  return SPEAKABLE.test(text);
}

export class SentenceChunker {
  private buffer = '';
  /** Where the next boundary search starts (earlier text holds no usable boundary). */
  private scanFrom = 0;
  private readonly minCharacters: number;
  private readonly maxCharacters: number;

  constructor(options: SentenceChunkerOptions = {}) {
    this.minCharacters = options.minCharacters ?? 12;
    this.maxCharacters = Math.max(options.maxCharacters ?? 200, this.minCharacters + 1);
  }

  /** Adds streamed text; returns the sentences it completed, in order. */
  push(text: string): string[] {
    this.buffer += text;
    const sentences: string[] = [];
    for (;;) {
      const end = this.nextBoundary();
      if (end !== undefined) {
        const sentence = this.buffer.slice(0, end);
        if ([...sentence].length > this.maxCharacters) {
          this.take(this.softCut(), sentences);
          continue;
        }
        if (sentenceWeight(sentence) >= this.minCharacters && isSpeakable(sentence)) {
          this.take(end, sentences);
          continue;
        }
        // Too short to stand alone: keep it and look for the next end.
        this.scanFrom = end;
        continue;
      }
      if ([...this.buffer].length > this.maxCharacters && isSpeakable(this.buffer)) {
        this.take(this.softCut(), sentences);
        continue;
      }
      return sentences;
    }
  }

  /** The text still held, at the end of the stream (nothing when it has nothing to say). */
  flush(): string[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    this.scanFrom = 0;
    return isSpeakable(rest) ? [rest] : [];
  }

  private take(end: number, into: string[]): void {
    const sentence = this.buffer.slice(0, end).trim();
    this.buffer = this.buffer.slice(end);
    this.scanFrom = 0;
    if (sentence !== '') into.push(sentence);
  }

  /**
   * The index just past the next sentence end from `scanFrom`, or undefined when there is none yet.
   * An end at the very end of the buffer waits for one more character: it may be followed by a
   * closing quote, another "!", or (after a Latin full stop) a digit.
   */
  private nextBoundary(): number | undefined {
    const text = this.buffer;
    for (let index = this.scanFrom; index < text.length; index++) {
      const character = text[index];
      const latin = LATIN_END.has(character);
      if (!latin && !CJK_END.has(character)) continue;
      let end = index + 1;
      while (end < text.length && (LATIN_END.has(text[end]) || CJK_END.has(text[end]) || CLOSERS.has(text[end]))) {
        end++;
      }
      if (end >= text.length) {
        this.scanFrom = index;
        return undefined;
      }
      const endsSentence =
        !latin ||
        /\s/u.test(text[end]) ||
        text
          .slice(index, end)
          .split('')
          .some((c) => CJK_END.has(c));
      if (endsSentence) return end;
      index = end - 1;
    }
    this.scanFrom = text.length;
    return undefined;
  }

  /** Where to cut text with no sentence end: after the last comma or space within the limit. */
  private softCut(): number {
    const characters = [...this.buffer].slice(0, this.maxCharacters);
    const prefix = characters.join('');
    for (let index = prefix.length - 1; index > 0; index--) {
      if (SOFT_BREAK.test(prefix[index]) && sentenceWeight(prefix.slice(0, index + 1)) >= this.minCharacters) {
        return index + 1;
      }
    }
    return prefix.length;
  }
}
