/** Picking the interface language and filling in message templates. No framework: two dictionaries. */
import { en, type MessageKey, zh } from './strings.ts';

export type Language = 'en' | 'zh';
export const LANGUAGES: readonly Language[] = ['zh', 'en'];
export type MessageParams = Readonly<Record<string, string | number>>;

const dictionaries: Record<Language, Partial<Record<MessageKey, string>>> = { en, zh };

/** The first of the browser's preferred languages we speak (`zh-CN`, `zh-TW`, `zh` → zh), else English. */
export function pickLanguage(preferred: readonly string[], stored?: string | null): Language {
  if (stored === 'en' || stored === 'zh') return stored;
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    if (primary === 'zh') return 'zh';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/** The message in `language`, else in English, else the key itself; `{name}` placeholders filled. */
export function translate(language: Language, key: MessageKey, params: MessageParams = {}): string {
  const template = dictionaries[language][key] ?? en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export type Translate = (key: MessageKey, params?: MessageParams) => string;
