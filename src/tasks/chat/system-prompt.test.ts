import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSTEM_PROMPTS, defaultSystemPrompt, detectReplyLanguage } from './system-prompt.ts';

describe('detectReplyLanguage', () => {
  it.each([
    ['今天天气怎么样？', 'zh'],
    ['请解释一下 machine learning', 'zh'],
    ['用 Python 写一个排序', 'zh'],
    ['What does 你好 mean?', 'en'],
    ['How is the weather today?', 'en'],
    ['12345 ?!', 'en'],
    ['', 'en'],
  ])('%j → %s', (text, language) => {
    expect(detectReplyLanguage(text)).toBe(language);
  });

  it('gives the instruction in the detected language', () => {
    expect(defaultSystemPrompt('你好')).toEqual({ language: 'zh', prompt: DEFAULT_SYSTEM_PROMPTS.zh });
    expect(defaultSystemPrompt('hello')).toEqual({ language: 'en', prompt: DEFAULT_SYSTEM_PROMPTS.en });
    expect(DEFAULT_SYSTEM_PROMPTS.zh).toMatch(/简洁.*口语化.*语音播报/);
    expect(DEFAULT_SYSTEM_PROMPTS.en).toMatch(/briefly and conversationally.*read aloud/);
  });
});
