/**
 * Transcript text as comparable words: what the window merge matches on. A word is a run of
 * non-space characters, except that each Chinese/Japanese character is a word of its own (those
 * scripts put no spaces between words). Punctuation sticks to the word before it (to the next one
 * at the very start), and the comparison key ignores case and punctuation, so "Hello," and "hello"
 * match across windows.
 */

export interface WordPiece {
  /** The word as written, with its punctuation, without surrounding space. */
  text: string;
  /** Whether the original text had white space before it. */
  spaced: boolean;
  /** Lower case, punctuation and symbols removed; never empty. */
  key: string;
}

const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
const PIECE = new RegExp(`(\\s*)([${CJK}]|[^\\s${CJK}]+)`, 'gu');
const CJK_CHARACTER = new RegExp(`[${CJK}]`, 'u');
const NOT_KEY = /[\p{P}\p{S}\s]/gu;

export function splitWords(text: string): WordPiece[] {
  const pieces: WordPiece[] = [];
  let pendingPunctuation = '';
  let pendingSpaced = false;
  for (const match of text.matchAll(PIECE)) {
    const spaced = match[1].length > 0;
    const written = match[2];
    const key = written.toLowerCase().replace(NOT_KEY, '');
    if (key === '') {
      const previous = pieces.at(-1);
      if (previous) {
        previous.text += spaced ? ` ${written}` : written;
      } else {
        pendingPunctuation += (spaced && pendingPunctuation ? ' ' : '') + written;
        pendingSpaced ||= spaced;
      }
      continue;
    }
    if (pendingPunctuation) {
      pieces.push({ text: pendingPunctuation + written, spaced: pendingSpaced, key });
      pendingPunctuation = '';
    } else {
      pieces.push({ text: written, spaced, key });
    }
  }
  // Text made only of punctuation stays one piece, so nothing the model said is lost.
  if (pendingPunctuation) pieces.push({ text: pendingPunctuation, spaced: pendingSpaced, key: pendingPunctuation });
  return pieces;
}

/** Words back to text: a space where there was one. */
export function joinWords(pieces: readonly Pick<WordPiece, 'text' | 'spaced'>[]): string {
  return pieces.map((piece, index) => (index > 0 && piece.spaced ? ` ${piece.text}` : piece.text)).join('');
}

/** Two texts end to end: no space where either side is Chinese/Japanese at the seam. */
export function joinTexts(texts: readonly string[]): string {
  let joined = '';
  for (const text of texts.map((item) => item.trim()).filter(Boolean)) {
    const seamless = joined === '' || CJK_CHARACTER.test(joined.at(-1)!) || CJK_CHARACTER.test(text[0]);
    joined += seamless ? text : ` ${text}`;
  }
  return joined;
}
