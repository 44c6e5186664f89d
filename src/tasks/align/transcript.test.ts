import { describe, expect, it } from 'vitest';
import { CTC_VOCABULARY } from '../../../testkit/ctc-speech.ts';
import { isMmkitError } from '../../errors.ts';
import { prepareTranscript } from './transcript.ts';

/** wav2vec2-base-960h's vocabulary: upper-case letters, `'`, `|` between words, `<pad>` (0) the blank. */
const spellWith = (text: string, vocabulary: readonly string[] = CTC_VOCABULARY) => {
  const prepared = prepareTranscript(text, vocabulary, 0);
  return { ...prepared, spelled: [...prepared.labels].map((id) => vocabulary[id]).join('') };
};

describe('prepareTranscript', () => {
  it('lower-cases, drops punctuation, spells in the vocabulary case and keeps the original words', () => {
    const prepared = spellWith('Hello, World!');
    expect(prepared.spelled).toBe('HELLO|WORLD');
    expect(prepared.words).toEqual(['Hello,', 'World!']);
    expect(prepared.normalized).toBe('HELLO WORLD');
    expect([...prepared.labelCharacter]).toEqual([0, 1, 2, 3, 4, -1, 5, 6, 7, 8, 9]);
    expect(prepared.characters.map((character) => character.text).join('')).toBe('HelloWorld');
    expect(prepared.characters.map((character) => character.word)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(prepared.warnings).toEqual([]);
  });

  it('uses lower case when that is what the vocabulary has, and no delimiter when it has none', () => {
    const lower = ['<blank>', ...'abcdefghijklmnopqrstuvwxyz'];
    const prepared = spellWith('Hi THERE', lower);
    expect(prepared.spelled).toBe('hithere');
    expect(prepared.normalized).toBe('hi there');
    expect(spellWith('Hi THERE', [...lower, ' ']).spelled).toBe('hi there');
  });

  it('keeps apostrophes inside words (typographic ones too), drops quotes and other symbols', () => {
    expect(spellWith("It’s Bob's 'quote' a|b").spelled).toBe("IT'S|BOB'S|QUOTE|AB");
    expect(spellWith('well-known — fact.').spelled).toBe('WELLKNOWN|FACT');
    expect(spellWith('well-known — fact.').words).toEqual(['well-known', '—', 'fact.']);
  });

  it('strips accents and expands letters the vocabulary spells as several (NFKD, upper case)', () => {
    const prepared = spellWith('Café Straße ﬁne');
    expect(prepared.spelled).toBe('CAFE|STRASSE|FINE');
    const accented = prepared.characters[3];
    expect(accented).toEqual({ id: CTC_VOCABULARY.indexOf('E'), text: 'é', word: 0 });
    expect(prepared.characters.filter((character) => character.text === 'ß')).toHaveLength(2);
    expect(prepared.warnings).toEqual([]);
  });

  it('skips what the vocabulary cannot spell, and says so', () => {
    const prepared = spellWith('route 66 to 北京 2day');
    expect(prepared.spelled).toBe('ROUTE|TO|DAY');
    expect(prepared.words).toEqual(['route', '66', 'to', '北京', '2day']);
    expect(prepared.warnings).toEqual([
      `"6" is not in the model's vocabulary: skipped in "66"`,
      `"北" is not in the model's vocabulary: skipped in "北京"`,
      `"京" is not in the model's vocabulary: skipped in "北京"`,
      `"2" is not in the model's vocabulary: skipped in "2day"`,
      `"66" has nothing to align: given a zero-length span`,
      `"北京" has nothing to align: given a zero-length span`,
    ]);
  });

  it('fails with nothing_to_align when no character can be spelled', () => {
    for (const text of ['你好', '  ', '!!! ...', '123']) {
      let caught: unknown;
      try {
        prepareTranscript(text, CTC_VOCABULARY, 0);
      } catch (error) {
        caught = error;
      }
      expect(isMmkitError(caught) && caught.code).toBe('nothing_to_align');
    }
  });
});
