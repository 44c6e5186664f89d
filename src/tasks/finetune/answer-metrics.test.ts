import { describe, expect, it } from 'vitest';
import { answerTokens, chrf, chrfStatistics, corpusChrf, exactMatch, tokenF1 } from './answer-metrics.ts';

describe('exact match and token F1 (SQuAD normalisation, CJK characters as tokens)', () => {
  it('normalises case, punctuation and articles', () => {
    expect(answerTokens('The Left  lung, mostly!')).toEqual(['left', 'lung', 'mostly']);
    expect(exactMatch('A fracture.', 'fracture')).toBe(1);
    expect(exactMatch('fractures', 'fracture')).toBe(0);
  });

  it('counts overlapping tokens: precision 2/3, recall 2/4 → F1 4/7', () => {
    // The article does not count: the same 4 reference tokens.
    expect(tokenF1('left lower lobe', 'the left upper lobe opacity')).toBeCloseTo(4 / 7, 12);
    expect(tokenF1('left lower lobe', 'left lobe')).toBeCloseTo(0.8, 12);
    expect(tokenF1('left lower lobe', 'left upper lobe opacity')).toBeCloseTo(4 / 7, 12);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('yes', '')).toBe(0);
  });

  it('splits Chinese into characters: 右肺 vs 右肺下叶 → P 1, R 1/2, F1 2/3', () => {
    expect(answerTokens('右肺下叶。')).toEqual(['右', '肺', '下', '叶']);
    expect(tokenF1('右肺', '右肺下叶')).toBeCloseTo(2 / 3, 12);
    expect(exactMatch('右肺下叶', '右肺 下叶。')).toBe(1);
  });
});

describe('chrF (sacrebleu: n ≤ 6, β = 2, whitespace removed)', () => {
  it('scores hand-computed cases', () => {
    // "ab" vs "abc": unigrams P 2/2 R 2/3, bigrams P 1/1 R 1/2; trigrams+ absent in the hypothesis.
    // avg P = 1, avg R = 7/12; F2 = 5 · 7/12 / (4 + 7/12) = 7/11.
    expect(chrfStatistics('ab', 'abc').slice(0, 3)).toEqual([
      [2, 3, 2],
      [1, 2, 1],
      [0, 1, 0],
    ]);
    expect(chrf('ab', 'abc')).toBeCloseTo((100 * 7) / 11, 10);
    // "aab" vs "ab": unigrams P 2/3 R 1, bigrams P 1/2 R 1: avg P 7/12, avg R 1; F2 = 5·7/12 / (4·7/12 + 1) = 35/40.
    expect(chrf('aab', 'ab')).toBeCloseTo(87.5, 10);
    expect(chrf('a b c', 'abc')).toBe(100);
    expect(chrf('xyz', 'abc')).toBe(0);
    expect(chrf('', 'abc')).toBe(0);
  });

  it('sums statistics over the corpus before scoring', () => {
    // Unigrams 4/5 matched of 4 predicted, bigrams 2/3 of 2: P = 1, R = (4/5 + 2/3)/2 = 11/15.
    const score = corpusChrf([
      { prediction: 'ab', reference: 'abc' },
      { prediction: 'de', reference: 'de' },
    ]);
    const recall = 11 / 15;
    expect(score).toBeCloseTo((100 * 5 * recall) / (4 + recall), 10);
  });
});
