import { describe, expect, it } from 'vitest';
import { AnswerText } from './answer-text.ts';

function feed(deltas: string[]) {
  const text = new AnswerText();
  const shown = deltas.map((delta) => text.push(delta));
  return { shown, answer: text.answer };
}

describe('AnswerText', () => {
  it('drops leading whitespace and holds trailing whitespace until text follows', () => {
    const { shown, answer } = feed([' ', ' The', ' cat', ' ', '\n', 'sits', '.', '\n', ' ']);
    expect(shown).toEqual(['', 'The', ' cat', '', '', ' \nsits', '.', '', '']);
    expect(answer).toBe('The cat \nsits.');
    expect(shown.join('')).toBe(answer);
  });

  it('keeps whitespace inside a delta and an all-whitespace answer is empty', () => {
    expect(feed(['a b  ', 'c'])).toEqual({ shown: ['a b', '  c'], answer: 'a b  c' });
    expect(feed([' ', '\n'])).toEqual({ shown: ['', ''], answer: '' });
  });
});
