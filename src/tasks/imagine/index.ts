export type { ImagineImage, ImagineOptions, ImagineResult } from './imagine.ts';
export { DEFAULT_NEGATIVE_PROMPT, DEFAULT_STRENGTH, IMAGINE_DEFAULTS, imagine } from './imagine.ts';
export type { StyleOptions } from './styles.ts';
export { optimizePrompt, QUALITY_WORDS, STYLE_ALIASES, STYLE_TEMPLATES, styleNames, styleTemplate } from './styles.ts';
