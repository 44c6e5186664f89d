/**
 * Splits mixed Chinese/English text into runs, each to be spoken by one voice. Han characters and
 * CJK punctuation are Mandarin; other letters are English; digits, ASCII punctuation and spaces are
 * neutral and join a neighbouring run (see `splitLanguageRuns`).
 */

export type RunLanguage = 'zh' | 'en';

export interface LanguageRun {
  language: RunLanguage;
  /** The run's text, trimmed. */
  text: string;
}

type CharacterClass = RunLanguage | 'neutral';

const HAN = /\p{Script=Han}/u;
// CJK symbols and punctuation, fullwidth forms (，！？：；（）), vertical and small forms.
const CJK_PUNCTUATION = /[\u3000-\u303f\uff00-\uffef\ufe10-\ufe1f\ufe30-\ufe4f]/u;
const LETTER = /\p{L}/u;
const WHITESPACE = /\s/u;

function classify(character: string): CharacterClass {
  if (HAN.test(character) || CJK_PUNCTUATION.test(character)) return 'zh';
  if (LETTER.test(character)) return 'en';
  return 'neutral';
}

/**
 * Neutral text between two runs of the same language belongs to that language. Between runs of
 * different languages it is split after its last whitespace: what comes before ends the earlier
 * run ("很好, " stays Mandarin) and what touches the next run starts it ("go 2024年" reads the year
 * in Mandarin). Leading neutral text joins the first run, trailing text the last one. Text with no
 * letters at all is one run in `fallback`.
 */
export function splitLanguageRuns(text: string, fallback: RunLanguage = 'en'): LanguageRun[] {
  const pieces: Array<{ kind: CharacterClass; text: string }> = [];
  for (const character of text) {
    const kind = classify(character);
    const last = pieces.at(-1);
    if (last !== undefined && last.kind === kind) last.text += character;
    else pieces.push({ kind, text: character });
  }

  const runs: Array<{ language: RunLanguage; text: string }> = [];
  let pending = '';
  for (let index = 0; index < pieces.length; index++) {
    const piece = pieces[index];
    if (piece.kind === 'neutral') {
      pending += piece.text;
      continue;
    }
    const previous = runs.at(-1);
    if (previous === undefined) {
      runs.push({ language: piece.kind, text: pending + piece.text });
    } else if (previous.language === piece.kind) {
      previous.text += pending + piece.text;
    } else {
      const cut = lastWhitespaceEnd(pending);
      previous.text += pending.slice(0, cut);
      runs.push({ language: piece.kind, text: pending.slice(cut) + piece.text });
    }
    pending = '';
  }
  if (runs.length === 0) {
    const trimmed = pending.trim();
    return trimmed === '' ? [] : [{ language: fallback, text: trimmed }];
  }
  runs[runs.length - 1].text += pending;
  return runs.map((run) => ({ language: run.language, text: run.text.trim() })).filter((run) => run.text !== '');
}

/** Index just after the last whitespace character; the whole length when there is none (all of it ends the earlier run). */
function lastWhitespaceEnd(text: string): number {
  for (let index = text.length - 1; index >= 0; index--) {
    if (WHITESPACE.test(text[index])) return index + 1;
  }
  return text.length;
}
