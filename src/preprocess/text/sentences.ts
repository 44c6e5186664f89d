/**
 * Text cut into sentences for speech synthesis: a TTS model is run once per sentence, so long text
 * never fails on length, audio can start before the whole text is spoken, and cancellation has a
 * place to stop. Sentences end at `. ! ? …` followed by space, at `。！？；` (Chinese puts no space
 * after them), and at line breaks. A sentence longer than `maxCharacters` is cut again at the last
 * comma or space before the limit, and only as a last resort in the middle of a word.
 */

export interface SentenceOptions {
  /** Longest piece returned (default 300 characters). */
  maxCharacters?: number;
}

const SENTENCE_END = /[^\n]*?(?:[.!?…]+["'”’)\]]*(?=\s|$)|[。！？；]+["'”’」』）]*|\n|$)/gu;
const SOFT_BREAK = /[,，、;:：—–\s]/u;

export function splitSentences(text: string, options: SentenceOptions = {}): string[] {
  const maxCharacters = options.maxCharacters ?? 300;
  if (!(maxCharacters >= 1)) throw new RangeError(`maxCharacters must be at least 1, got ${maxCharacters}`);
  const sentences: string[] = [];
  for (const match of text.matchAll(SENTENCE_END)) {
    const sentence = match[0].replace(/\s+/g, ' ').trim();
    if (sentence !== '') sentences.push(...cutLong(sentence, maxCharacters));
  }
  return sentences;
}

function cutLong(sentence: string, maxCharacters: number): string[] {
  const pieces: string[] = [];
  let rest = sentence;
  while ([...rest].length > maxCharacters) {
    const characters = [...rest];
    let cut = -1;
    // A space may sit just past the limit (it is dropped); a comma must fit within it.
    for (let index = maxCharacters; index > 0; index--) {
      if (/\s/u.test(characters[index])) cut = index;
      else if (index < maxCharacters && SOFT_BREAK.test(characters[index])) cut = index + 1;
      if (cut > 0) break;
    }
    if (cut < 0) cut = maxCharacters;
    pieces.push(characters.slice(0, cut).join('').trim());
    rest = characters.slice(cut).join('').trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces.filter((piece) => piece !== '');
}
