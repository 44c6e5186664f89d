import { describe, expect, it } from 'vitest';
import { splitLanguageRuns } from './text-runs.ts';

describe('splitLanguageRuns', () => {
  it('splits the issue example into Mandarin, English, Mandarin', () => {
    expect(splitLanguageRuns("今天天气很好, let's go to the park 吧。")).toEqual([
      { language: 'zh', text: '今天天气很好,' },
      { language: 'en', text: "let's go to the park" },
      { language: 'zh', text: '吧。' },
    ]);
  });

  it('keeps pure text in one run', () => {
    expect(splitLanguageRuns('Hello, world! 42 times.')).toEqual([{ language: 'en', text: 'Hello, world! 42 times.' }]);
    expect(splitLanguageRuns('我有三个苹果，你呢？')).toEqual([{ language: 'zh', text: '我有三个苹果，你呢？' }]);
  });

  it('gives digits touching the next run to that run, and spaced ones to the earlier run', () => {
    expect(splitLanguageRuns('We met in 2024年春天')).toEqual([
      { language: 'en', text: 'We met in' },
      { language: 'zh', text: '2024年春天' },
    ]);
    expect(splitLanguageRuns('我用的是iPhone 15 Pro，系统是iOS 17.2')).toEqual([
      { language: 'zh', text: '我用的是' },
      { language: 'en', text: 'iPhone 15 Pro' },
      { language: 'zh', text: '，系统是' },
      { language: 'en', text: 'iOS 17.2' },
    ]);
  });

  it('attaches leading and trailing neutral text to the first and last runs', () => {
    expect(splitLanguageRuns('  "3. OK" 好的!! ')).toEqual([
      { language: 'en', text: '"3. OK"' },
      { language: 'zh', text: '好的!!' },
    ]);
  });

  it('treats CJK punctuation as Mandarin and joins same-language runs across neutral text', () => {
    expect(splitLanguageRuns('「你好」, 123, 再见')).toEqual([{ language: 'zh', text: '「你好」, 123, 再见' }]);
    expect(splitLanguageRuns('yes — 100% sure')).toEqual([{ language: 'en', text: 'yes — 100% sure' }]);
  });

  it('speaks text without letters in the fallback language, and drops blank text', () => {
    expect(splitLanguageRuns('12:30 !', 'zh')).toEqual([{ language: 'zh', text: '12:30 !' }]);
    expect(splitLanguageRuns('3.14')).toEqual([{ language: 'en', text: '3.14' }]);
    expect(splitLanguageRuns(' \n\t ')).toEqual([]);
  });
});
