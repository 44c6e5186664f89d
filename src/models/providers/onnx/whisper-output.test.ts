import { describe, expect, it } from 'vitest';
import { pickLanguage, whisperSegments } from './whisper-output.ts';

// Text ids 0–99, specials 100–199, timestamps from 200 (0.02 s each).
const layout = { timestampBegin: 200, firstSpecial: 100, timePrecision: 0.02 };
const at = (seconds: number) => 200 + Math.round(seconds / 0.02);
const decode = (ids: number[]) => ids.map((id) => String.fromCharCode(97 + id)).join('');

describe('whisperSegments', () => {
  it('reads timestamp pairs around text as segments, skipping special tokens', () => {
    const generated = [at(1), 0, 1, at(1.5), at(2), 2, at(2.62), 100];
    expect(whisperSegments(generated, layout, 30, decode)).toEqual([
      { start: 1, end: 1.5, text: 'ab', tokens: [0, 1] },
      { start: 2, end: 2.62, text: 'c', tokens: [2] },
    ]);
  });

  it('runs text after the last timestamp (or without any) to the end of the audio', () => {
    expect(whisperSegments([at(3), 4, 5], layout, 7.5, decode)).toEqual([
      { start: 3, end: 7.5, text: 'ef', tokens: [4, 5] },
    ]);
    expect(whisperSegments([6, 100], layout, 4, decode)).toEqual([{ start: 0, end: 4, text: 'g', tokens: [6] }]);
    // Text right after a closed segment starts where that one ended.
    expect(whisperSegments([at(1), 0, at(2), 1], layout, 5, decode).at(-1)).toMatchObject({ start: 2, end: 5 });
  });

  it('clamps times to the audio and drops empty or blank segments', () => {
    expect(whisperSegments([at(29), 0, at(30)], layout, 29.5, decode)).toEqual([
      { start: 29, end: 29.5, text: 'a', tokens: [0] },
    ]);
    expect(whisperSegments([at(0), at(1), 100], layout, 5, decode)).toEqual([]);
    const blank = (ids: number[]) => (ids.length ? '  ' : '');
    expect(whisperSegments([at(0), 3, at(1)], layout, 5, blank)).toEqual([]);
  });
});

describe('pickLanguage', () => {
  const tokens = { '<|en|>': 2, '<|zh|>': 3, '<|fr|>': 5 };

  it('picks the language token with the highest score, ignoring other tokens', () => {
    expect(pickLanguage([9, 9, 0.1, 0.7, 99, 0.2], tokens)).toBe('zh');
    expect(pickLanguage(Float32Array.from([0, 0, -1, -3, 0, -0.5]), tokens)).toBe('fr');
  });

  it('breaks ties by the listed order and needs a language', () => {
    expect(pickLanguage([0, 0, -30, -30, 0, -30], tokens)).toBe('en');
    expect(() => pickLanguage([1, 2], {})).toThrow(/no languages/);
  });
});
