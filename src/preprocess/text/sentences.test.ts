import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.ts';

describe('splitSentences', () => {
  it('splits English at sentence ends followed by space, keeping decimals and quotes', () => {
    expect(splitSentences('Hello there! It costs 3.14 dollars. "Really?" she asked…  Yes')).toEqual([
      'Hello there!',
      'It costs 3.14 dollars.',
      '"Really?"',
      'she asked…',
      'Yes',
    ]);
  });

  it('splits Chinese at full-width ends without spaces, and at line breaks', () => {
    expect(splitSentences('今天天气很好。我们去公园吧！好吗？\n第二行\n\n  ')).toEqual([
      '今天天气很好。',
      '我们去公园吧！',
      '好吗？',
      '第二行',
    ]);
    expect(splitSentences('他说：「走吧。」然后走了')).toEqual(['他说：「走吧。」', '然后走了']);
  });

  it('cuts long sentences at a comma or space before the limit, else mid-word', () => {
    expect(splitSentences('one two three four five six', { maxCharacters: 10 })).toEqual([
      'one two',
      'three four',
      'five six',
    ]);
    expect(splitSentences('一二三，四五六七八九十', { maxCharacters: 5 })).toEqual(['一二三，', '四五六七八', '九十']);
    expect(splitSentences('abcdefghij', { maxCharacters: 4 })).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('never loses text: the pieces hold every non-space character, each within the limit', () => {
    const text = `${'All work and no play makes Jack a dull boy. '.repeat(40)}${'很长的中文句子没有标点'.repeat(30)}`;
    const pieces = splitSentences(text, { maxCharacters: 50 });
    expect(pieces.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    expect(Math.max(...pieces.map((piece) => [...piece].length))).toBeLessThanOrEqual(50);
    expect(splitSentences('   ')).toEqual([]);
  });
});
