/**
 * The prompt optimiser: `"<prompt>, <style template>, <quality words>, <quality>"`, the seed's
 * format, with the seed's four templates word for word, a sketch template the seed's UI offered
 * but never defined, English aliases for all five, and styles a user defines.
 */
import { MmkitError } from '../../errors.ts';

export const STYLE_TEMPLATES: Readonly<Record<string, string>> = {
  photorealistic: 'photorealistic, ultra detailed, 8k, sharp focus, realistic lighting, cinematic',
  油画: 'oil painting style, thick brush strokes, vibrant colors, artistic, painterly',
  卡通: 'cartoon style, flat colors, clean lines, anime influence, cute',
  水彩: 'watercolor painting, soft colors, translucent, gentle brush strokes',
  素描: 'pencil sketch, graphite drawing, monochrome, fine hatching, detailed linework',
};

/** English names for the seed's Chinese style names. */
export const STYLE_ALIASES: Readonly<Record<string, string>> = {
  'oil-painting': '油画',
  cartoon: '卡通',
  watercolor: '水彩',
  watercolour: '水彩',
  sketch: '素描',
};

export const QUALITY_WORDS = 'high resolution, ultra detailed, sharp, no blur, no noise';
export const DEFAULT_QUALITY = 'high resolution';

export interface StyleOptions {
  /** User-defined styles, name → template; they may also replace a built-in one. */
  styles?: Readonly<Record<string, string>> | undefined;
  /** The last part of the optimised prompt (the seed's `quality` argument). */
  quality?: string | undefined;
}

/** Every style name accepted, built-in names and aliases first. */
export function styleNames(options: StyleOptions = {}): string[] {
  return [
    ...new Set([...Object.keys(STYLE_TEMPLATES), ...Object.keys(STYLE_ALIASES), ...Object.keys(options.styles ?? {})]),
  ];
}

/** The template of a style name (user styles first, then built-ins and aliases, case-insensitive for English). */
export function styleTemplate(style: string, options: StyleOptions = {}): string {
  const name = style.trim();
  const user = options.styles ?? {};
  if (Object.hasOwn(user, name)) return user[name];
  const lower = name.toLowerCase();
  const canonical = Object.hasOwn(STYLE_ALIASES, lower) ? STYLE_ALIASES[lower] : lower;
  if (Object.hasOwn(STYLE_TEMPLATES, canonical)) return STYLE_TEMPLATES[canonical];
  if (Object.hasOwn(STYLE_TEMPLATES, name)) return STYLE_TEMPLATES[name];
  throw new MmkitError(`unknown style "${style}"; styles: ${styleNames(options).join(', ')}`, {
    code: 'unknown_style',
    param: 'style',
  });
}

export function optimizePrompt(prompt: string, style: string, options: StyleOptions = {}): string {
  return `${prompt.trim()}, ${styleTemplate(style, options)}, ${QUALITY_WORDS}, ${options.quality ?? DEFAULT_QUALITY}`;
}
