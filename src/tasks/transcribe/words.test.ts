import { describe, expect, it } from 'vitest';
import { joinTexts, joinWords, splitWords } from './words.ts';

describe('splitWords', () => {
  it('splits on spaces, keeps punctuation on the word before, compares without case or punctuation', () => {
    expect(splitWords(' Hello, world! How are you?')).toEqual([
      { text: 'Hello,', spaced: true, key: 'hello' },
      { text: 'world!', spaced: true, key: 'world' },
      { text: 'How', spaced: true, key: 'how' },
      { text: 'are', spaced: true, key: 'are' },
      { text: 'you?', spaced: true, key: 'you' },
    ]);
    expect(splitWords('"Well" - yes').map((piece) => piece.text)).toEqual(['"Well" -', 'yes']);
  });

  it('makes each Chinese character a word and sticks full-width punctuation to the one before', () => {
    expect(splitWords('你好，世界。').map((piece) => [piece.text, piece.key])).toEqual([
      ['你', '你'],
      ['好，', '好'],
      ['世', '世'],
      ['界。', '界'],
    ]);
    expect(splitWords('我用 GPU 跑').map((piece) => piece.text)).toEqual(['我', '用', 'GPU', '跑']);
  });

  it('puts leading punctuation on the first word and keeps punctuation-only text', () => {
    expect(splitWords('¿ Qué tal?')[0]).toEqual({ text: '¿Qué', spaced: false, key: 'qué' });
    expect(splitWords('...')).toEqual([{ text: '...', spaced: false, key: '...' }]);
    expect(splitWords('   ')).toEqual([]);
  });

  it('round-trips text through joinWords (spaces normalised)', () => {
    for (const text of ['Hello, world! How are you?', '你好，世界。', '我用 GPU 跑', 'one  two']) {
      expect(joinWords(splitWords(text))).toBe(text.replace(/\s+/g, ' ').trim());
    }
  });
});

describe('joinTexts', () => {
  it('puts a space between Latin texts and none at a Chinese seam', () => {
    expect(joinTexts([' one two', ' three'])).toBe('one two three');
    expect(joinTexts(['一二', '三', 'GPU', 'ok '])).toBe('一二三GPU ok');
    expect(joinTexts(['', '  ', 'x'])).toBe('x');
  });
});
