import { describe, expect, it } from 'vitest';
import { splitSentences } from './sentences.ts';

describe('splitSentences', () => {
  it('splits at sentence ends in both scripts, keeping the punctuation', () => {
    expect(splitSentences('Hello there. How are you? 我很好。你呢！Fine; thanks\nBye')).toEqual([
      'Hello there.',
      'How are you?',
      '我很好。',
      '你呢！',
      'Fine;',
      'thanks',
      'Bye',
    ]);
  });

  it('does not split inside numbers or abbreviations glued to the next character', () => {
    expect(splitSentences('Version 17.2 is out.')).toEqual(['Version 17.2 is out.']);
  });

  it('cuts over-long sentences at commas, then at spaces, then hard', () => {
    expect(splitSentences('one two three, four five six, seven', 16)).toEqual([
      'one two three,',
      'four five six,',
      'seven',
    ]);
    expect(splitSentences('aaaa bbbb cccc dddd', 10)).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(splitSentences('天'.repeat(25), 10)).toEqual(['天'.repeat(10), '天'.repeat(10), '天'.repeat(5)]);
  });

  it('never loses text and respects the limit on long input', () => {
    const text = 'The quick brown fox jumps over the lazy dog, again and again. '.repeat(200);
    const sentences = splitSentences(text, 50);
    expect(sentences.every((sentence) => sentence.length <= 50)).toBe(true);
    expect(sentences.join(' ').replace(/\s+/g, ' ')).toBe(text.trim().replace(/\s+/g, ' '));
  });
});
