/**
 * Renders text into a PNG for the OCR tests, with the committed Noto Sans SC subset (see fonts/), so
 * no system font is needed. Only the characters listed in tools/reference/subset_test_font.py exist
 * in that font: keep test texts within them.
 */
import { join } from 'node:path';
import sharp from 'sharp';

export const TEST_FONT_FILE = join(import.meta.dirname, 'fonts', 'NotoSansSC-test-subset.ttf');

export interface RenderTextOptions {
  /** Font size in pixels. */
  size?: number;
  foreground?: string;
  background?: string;
}

export async function renderTextPng(text: string, options: RenderTextOptions = {}): Promise<Buffer> {
  const size = options.size ?? 32;
  const background = options.background ?? '#ffffff';
  const markup = `<span foreground="${options.foreground ?? '#000000'}">${escapeMarkup(text)}</span>`;
  return sharp({
    text: { text: markup, font: `Noto Sans SC ${size}px`, fontfile: TEST_FONT_FILE, rgba: true, dpi: 72 },
  })
    .flatten({ background })
    .extend({ top: size, bottom: size, left: size, right: size, background })
    .png()
    .toBuffer();
}

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
