/** The five styles the seed's UI offers, used until (or if) `GET /api/styles` answers. */
import type { StyleInfo } from '../../api/types.ts';
import type { Language } from '../../i18n/i18n.ts';

export const FALLBACK_STYLES: StyleInfo[] = [
  { name: 'photorealistic', label_zh: '写实', label_en: 'Photorealistic', template: '' },
  { name: '油画', label_zh: '油画', label_en: 'Oil painting', template: '' },
  { name: '卡通', label_zh: '卡通', label_en: 'Cartoon', template: '' },
  { name: '水彩', label_zh: '水彩', label_en: 'Watercolour', template: '' },
  { name: '素描', label_zh: '素描', label_en: 'Sketch', template: '' },
];

/** "写实 · Photorealistic" in either language, the seed's Chinese name always visible. */
export function styleLabel(style: StyleInfo, language: Language): string {
  if (style.label_zh === style.label_en) return style.label_zh;
  return language === 'zh' ? `${style.label_zh} · ${style.label_en}` : `${style.label_en} · ${style.label_zh}`;
}
