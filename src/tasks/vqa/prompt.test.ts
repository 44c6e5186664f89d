import { describe, expect, it } from 'vitest';
import type { VqaImage } from './image-input.ts';
import { buildVqaMessages, groundedQuestion, MAX_OCR_PROMPT_CHARACTERS, questionLanguage } from './prompt.ts';

const image: VqaImage = {
  bytes: new Uint8Array([1, 2, 3]),
  name: 'image',
  format: 'png',
  mediaType: 'image/png',
  width: 1,
  height: 1,
};

describe('VQA prompt messages', () => {
  it('detects Chinese questions by their Han characters', () => {
    expect(questionLanguage('这是什么？')).toBe('zh');
    expect(questionLanguage('What is 手机 in English?')).toBe('zh');
    expect(questionLanguage('What phone is this?')).toBe('en');
  });

  it('leaves the question alone without OCR text, and clips very long OCR text', () => {
    expect(groundedQuestion('Why?', undefined)).toBe('Why?');
    expect(groundedQuestion('Why?', '  \n ')).toBe('Why?');
    const long = groundedQuestion('Why?', '字'.repeat(MAX_OCR_PROMPT_CHARACTERS + 500));
    expect(long).toContain(`${'字'.repeat(MAX_OCR_PROMPT_CHARACTERS)}…\n"""`);
    expect(long).not.toContain('字'.repeat(MAX_OCR_PROMPT_CHARACTERS + 1));
  });

  it('places the image and the OCR text in the first user turn and history as plain turns', () => {
    const messages = buildVqaMessages({
      image,
      question: 'third?',
      ocrText: 'LABEL',
      history: [
        { question: 'first?', answer: 'one' },
        { question: 'second?', answer: 'two' },
      ],
    });
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', data: image.bytes, mediaType: 'image/png' },
          { type: 'text', text: groundedQuestion('first?', 'LABEL') },
        ],
      },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'second?' },
      { role: 'assistant', content: 'two' },
      { role: 'user', content: 'third?' },
    ]);
  });
});
