import { describe, expect, it } from 'vitest';
import { SentenceChunker, sentenceWeight } from './sentence-chunker.ts';

/** Feeds `text` in pieces of `size` characters; returns the sentences in order and when each appeared. */
function chunk(text: string, size: number, options = {}) {
  const chunker = new SentenceChunker(options);
  const sentences: Array<{ text: string; afterCharacters: number }> = [];
  const characters = [...text];
  for (let start = 0; start < characters.length; start += size) {
    for (const sentence of chunker.push(characters.slice(start, start + size).join(''))) {
      sentences.push({ text: sentence, afterCharacters: Math.min(start + size, characters.length) });
    }
  }
  for (const sentence of chunker.flush()) sentences.push({ text: sentence, afterCharacters: characters.length });
  return sentences;
}

const texts = (sentences: Array<{ text: string }>) => sentences.map((sentence) => sentence.text);

describe('SentenceChunker', () => {
  it('cuts English at . ! ? followed by a space, the same for any streaming piece size', () => {
    const text = 'The weather is sunny today. Would you like to go out? Let us take a walk in the park!';
    const expected = ['The weather is sunny today.', 'Would you like to go out?', 'Let us take a walk in the park!'];
    for (const size of [1, 2, 3, 7, 100]) expect(texts(chunk(text, size))).toEqual(expected);
  });

  it('hands a sentence over as soon as the next one has begun, not at the end', () => {
    const text = 'The weather is sunny today. Would you like to go out?';
    const [first, second] = chunk(text, 1);
    expect(first.afterCharacters).toBe('The weather is sunny today. '.length);
    expect(second.afterCharacters).toBe(text.length);
  });

  it('cuts Chinese at 。！？ with no space needed, and keeps closing quotes with their sentence', () => {
    const text = '今天天气很好，阳光明媚。我们一起去公园散步吧！他说：“明天还会下雨吗？”然后就走了。';
    expect(texts(chunk(text, 1))).toEqual([
      '今天天气很好，阳光明媚。',
      '我们一起去公园散步吧！',
      '他说：“明天还会下雨吗？”',
      '然后就走了。',
    ]);
  });

  it('does not cut inside numbers, and merges fragments shorter than the minimum into the next sentence', () => {
    const text = 'Sure! Pi is about 3.14159 in value. OK. 好的。今天是晴天，非常适合出门。';
    expect(texts(chunk(text, 2))).toEqual([
      'Sure! Pi is about 3.14159 in value.',
      'OK. 好的。今天是晴天，非常适合出门。',
    ]);
    expect(sentenceWeight('好的。')).toBe(5);
    expect(sentenceWeight(' abc ')).toBe(3);
  });

  it('cuts at newlines and mixes languages', () => {
    const text = 'Here are two ideas for you\n第一，去公园散步\nSecond, read a good book\n';
    expect(texts(chunk(text, 4))).toEqual([
      'Here are two ideas for you',
      '第一，去公园散步',
      'Second, read a good book',
    ]);
  });

  it('cuts a long run with no sentence end at a comma or space, within the limit', () => {
    const clause = 'and then we walked a little further, ';
    const text = clause.repeat(12);
    const sentences = texts(chunk(text, 5, { maxCharacters: 100 }));
    expect(sentences.length).toBeGreaterThan(4);
    for (const sentence of sentences) expect([...sentence].length).toBeLessThanOrEqual(100);
    expect(sentences.join(' ')).toBe(text.trim());
    // The same when the whole long sentence, end and all, arrives in one piece.
    const whole = texts(chunk(`${clause.repeat(12).trim()}.`, 1000, { maxCharacters: 100 }));
    for (const sentence of whole) expect([...sentence].length).toBeLessThanOrEqual(100);
    expect(whole.join(' ')).toBe(`${clause.repeat(12).trim()}.`);
    const han = '我'.repeat(250);
    const hanPieces = texts(chunk(han, 10, { maxCharacters: 100 }));
    expect(hanPieces.map((piece) => piece.length)).toEqual([100, 100, 50]);
  });

  it('says nothing for text with nothing to speak, and keeps a short tail at the end', () => {
    expect(texts(chunk('*** --- ...\n\n', 3))).toEqual([]);
    expect(texts(chunk('Hello.', 2))).toEqual(['Hello.']);
    // The emoji after the last sentence has nothing to say: it is dropped, not spoken alone.
    expect(texts(chunk('I can help with that. 😊', 3))).toEqual(['I can help with that.']);
    expect(texts(chunk('I can help with that 😊', 3))).toEqual(['I can help with that 😊']);
  });
});
