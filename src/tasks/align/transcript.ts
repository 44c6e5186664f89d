/**
 * Transcript → CTC labels, keeping the way back to the user's words. As the seed does, text is
 * lower-cased and punctuation removed; each remaining character is then spelled in the model's
 * vocabulary (wav2vec2-base-960h spells upper case: the case that exists in the vocabulary wins),
 * accents are stripped (NFKD) where the plain letter exists, and anything still unknown (digits,
 * other scripts) is skipped with a warning. Words are separated by the vocabulary's word delimiter
 * (`|` for wav2vec2, or a space token) when it has one.
 */
import { MmkitError } from '../../errors.ts';

export interface TranscriptCharacter {
  /** Vocabulary id. */
  id: number;
  /** The user's character this label spells (one character may spell several labels, e.g. "ß" → "SS"). */
  text: string;
  /** Index into `words`. */
  word: number;
}

export interface PreparedTranscript {
  /** The user's words (whitespace-separated), exactly as written. */
  words: string[];
  /** Label ids to align, word delimiters included. */
  labels: Int32Array;
  /** For each label: its index in `characters`, or −1 for a word delimiter. */
  labelCharacter: Int32Array;
  characters: TranscriptCharacter[];
  /** The labels as the vocabulary spells them, words joined by a space, e.g. "HELLO WORLD". */
  normalized: string;
  warnings: string[];
}

const WORD_DELIMITERS = ['|', ' ', '▁'];
const APOSTROPHES = /[’‘ʼ′`]/gu;
const PUNCTUATION = /^[\p{P}\p{S}]$/u;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const COMBINING_MARKS = /\p{M}/gu;

/** Looks characters up in a CTC vocabulary: single-character entries only, never the blank. */
export class VocabularySpelling {
  readonly delimiterId: number | undefined;
  private readonly ids = new Map<string, number>();

  constructor(vocabulary: readonly string[], blankId: number) {
    vocabulary.forEach((token, id) => {
      if (id !== blankId && [...token].length === 1 && !this.ids.has(token)) this.ids.set(token, id);
    });
    const delimiter = WORD_DELIMITERS.find((token) => this.ids.has(token));
    this.delimiterId = delimiter === undefined ? undefined : this.ids.get(delimiter);
    for (const token of WORD_DELIMITERS) this.ids.delete(token);
  }

  /** The ids that spell `character` (already lower-cased), or undefined when the vocabulary cannot. */
  spell(character: string): number[] | undefined {
    const stripped = character.normalize('NFKD').replace(COMBINING_MARKS, '');
    const candidates = [character, character.toUpperCase(), stripped, stripped.toUpperCase()];
    for (const candidate of candidates) {
      const pieces = [...candidate];
      if (pieces.length > 0 && pieces.every((piece) => this.ids.has(piece))) {
        return pieces.map((piece) => this.ids.get(piece) as number);
      }
    }
    return undefined;
  }
}

export function prepareTranscript(
  transcript: string,
  vocabulary: readonly string[],
  blankId: number,
): PreparedTranscript {
  const spelling = new VocabularySpelling(vocabulary, blankId);
  const words = transcript.split(/\s+/u).filter((word) => word.length > 0);
  const characters: TranscriptCharacter[] = [];
  const skipped = new Map<string, Set<string>>();
  const empty: string[] = [];
  words.forEach((word, wordIndex) => {
    const before = characters.length;
    let skippedHere = false;
    const pieces = [...word];
    pieces.forEach((original, index) => {
      const character = original.replace(APOSTROPHES, "'").toLowerCase();
      if (character === "'") {
        // An apostrophe inside a word ("it's") is spelled when the vocabulary has it; quotes are punctuation.
        const inside = LETTER_OR_DIGIT.test(pieces[index - 1] ?? '') && LETTER_OR_DIGIT.test(pieces[index + 1] ?? '');
        const ids = inside ? spelling.spell("'") : undefined;
        if (ids !== undefined) characters.push({ id: ids[0], text: original, word: wordIndex });
        return;
      }
      if (PUNCTUATION.test(original)) return;
      const ids = spelling.spell(character);
      if (ids !== undefined) {
        for (const id of ids) characters.push({ id, text: original, word: wordIndex });
        return;
      }
      skippedHere = true;
      const inWords = skipped.get(original) ?? new Set<string>();
      inWords.add(word);
      skipped.set(original, inWords);
    });
    if (characters.length === before && skippedHere) empty.push(word);
  });
  if (characters.length === 0) {
    throw new MmkitError(`the transcript "${shorten(transcript)}" has no characters the model's vocabulary can spell`, {
      code: 'nothing_to_align',
      param: 'transcript',
    });
  }

  const labels: number[] = [];
  const labelCharacter: number[] = [];
  let normalized = '';
  characters.forEach((character, index) => {
    const previous = characters[index - 1];
    if (previous !== undefined && previous.word !== character.word) {
      normalized += ' ';
      if (spelling.delimiterId !== undefined) {
        labels.push(spelling.delimiterId);
        labelCharacter.push(-1);
      }
    }
    labels.push(character.id);
    labelCharacter.push(index);
    normalized += vocabulary[character.id];
  });

  const warnings = [...skipped].map(
    ([character, inWords]) =>
      `"${character}" is not in the model's vocabulary: skipped in ${[...inWords].map((word) => `"${word}"`).join(', ')}`,
  );
  for (const word of empty) warnings.push(`"${word}" has nothing to align: given a zero-length span`);
  return {
    words,
    labels: Int32Array.from(labels),
    labelCharacter: Int32Array.from(labelCharacter),
    characters,
    normalized,
    warnings,
  };
}

function shorten(text: string): string {
  const folded = text.replace(/\s+/gu, ' ').trim();
  return folded.length > 60 ? `${folded.slice(0, 57)}...` : folded;
}
