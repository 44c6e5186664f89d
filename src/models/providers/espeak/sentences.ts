/**
 * Sentence splitting for long text: synthesis runs batch by batch so that no single espeak call
 * grows without bound, the event loop gets a turn between batches, and cancellation is honoured.
 */

// A sentence ends after . ! ? ; (ASCII followed by a space or the end) or after 。！？；…, or at a newline.
const SENTENCE_END = /(?<=[.!?;](?=\s|$)|[。！？；…\n])/u;
// Inside an over-long sentence, prefer to cut after a comma or colon, then after any whitespace.
const CLAUSE_END = /(?<=[,:，、：])/u;
const WORD_END = /(?<=\s)/u;

/** Splits `text` into sentences of at most `maxChars` characters each, none blank. */
export function splitSentences(text: string, maxChars = 400): string[] {
  const sentences: string[] = [];
  for (const sentence of text.split(SENTENCE_END)) {
    for (const piece of limitLength(sentence, maxChars, [CLAUSE_END, WORD_END])) {
      const trimmed = piece.trim();
      if (trimmed !== '') sentences.push(trimmed);
    }
  }
  return sentences;
}

function limitLength(text: string, maxChars: number, separators: RegExp[]): string[] {
  if ([...text].length <= maxChars) return [text];
  const [separator, ...finer] = separators;
  if (separator === undefined) return hardCut(text, maxChars);
  // Greedily pack the pieces back together up to the limit; pieces still too long go one level finer.
  const packed: string[] = [];
  let current = '';
  for (const piece of text.split(separator)) {
    if ([...current].length + [...piece].length <= maxChars) {
      current += piece;
      continue;
    }
    if (current !== '') packed.push(current);
    if ([...piece].length <= maxChars) current = piece;
    else {
      packed.push(...limitLength(piece, maxChars, finer));
      current = '';
    }
  }
  if (current !== '') packed.push(current);
  return packed;
}

/** Text with no separator at all (e.g. a long run of Han characters without punctuation). */
function hardCut(text: string, maxChars: number): string[] {
  const characters = [...text];
  const pieces: string[] = [];
  for (let start = 0; start < characters.length; start += maxChars) {
    pieces.push(characters.slice(start, start + maxChars).join(''));
  }
  return pieces;
}
