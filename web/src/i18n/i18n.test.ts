import { describe, expect, it } from 'vitest';
import { pickLanguage, translate } from './i18n.ts';
import { en, zh } from './strings.ts';

describe('pickLanguage', () => {
  it('follows the first preferred language it speaks', () => {
    expect(pickLanguage(['zh-CN', 'en-US'])).toBe('zh');
    expect(pickLanguage(['zh_TW'])).toBe('zh');
    expect(pickLanguage(['fr-FR', 'en-GB', 'zh'])).toBe('en');
    expect(pickLanguage(['de', 'ZH-hans'])).toBe('zh');
  });

  it('falls back to English for languages it does not speak or none', () => {
    expect(pickLanguage(['fr', 'de'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('prefers a stored choice that is valid, and ignores one that is not', () => {
    expect(pickLanguage(['zh-CN'], 'en')).toBe('en');
    expect(pickLanguage(['en-US'], 'zh')).toBe('zh');
    expect(pickLanguage(['zh-CN'], 'klingon')).toBe('zh');
  });
});

describe('translate', () => {
  it('gives each language its own words', () => {
    expect(translate('en', 'nav.imagine')).toBe('Imagine');
    expect(translate('zh', 'nav.imagine')).toBe('文生图');
  });

  it('falls back to English where Chinese lacks a key', () => {
    expect(zh['ask.stop']).toBeDefined();
    expect(zh['app.title']).toBeUndefined();
    expect(translate('zh', 'app.title')).toBe(en['app.title']);
    expect(translate('zh', 'error.server', { message: 'boom' })).toBe('boom');
  });

  it('falls back to the key when no language has it', () => {
    expect(translate('en', 'no.such.key' as keyof typeof en)).toBe('no.such.key');
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'imagine.progress', { step: 3, total: 60 })).toBe('Step 3 of 60');
    expect(translate('zh', 'imagine.progress', { step: 3, total: 60 })).toBe('第 3 / 60 步');
    expect(translate('en', 'imagine.progress', { step: 3 })).toBe('Step 3 of {total}');
  });

  it('has no Chinese key that English lacks', () => {
    for (const key of Object.keys(zh)) expect(en).toHaveProperty(key);
  });
});
