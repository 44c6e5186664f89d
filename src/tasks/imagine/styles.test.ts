import { describe, expect, it } from 'vitest';
import { optimizePrompt, styleNames } from './styles.ts';

describe('prompt optimiser', () => {
  it("uses the seed's format and templates word for word", () => {
    expect(optimizePrompt('一片向日葵田野', '油画')).toBe(
      '一片向日葵田野, oil painting style, thick brush strokes, vibrant colors, artistic, painterly, high resolution, ultra detailed, sharp, no blur, no noise, high resolution',
    );
    expect(optimizePrompt('a cat', 'photorealistic', { quality: '4k' })).toBe(
      'a cat, photorealistic, ultra detailed, 8k, sharp focus, realistic lighting, cinematic, high resolution, ultra detailed, sharp, no blur, no noise, 4k',
    );
    expect(optimizePrompt('a cat', '卡通')).toContain('cartoon style, flat colors, clean lines, anime influence, cute');
    expect(optimizePrompt('a cat', '水彩')).toContain(
      'watercolor painting, soft colors, translucent, gentle brush strokes',
    );
  });

  it('has a sketch template and English aliases for all five styles', () => {
    expect(optimizePrompt('a cat', '素描')).toContain('pencil sketch');
    expect(optimizePrompt('a cat', 'sketch')).toBe(optimizePrompt('a cat', '素描'));
    expect(optimizePrompt('a cat', 'oil-painting')).toBe(optimizePrompt('a cat', '油画'));
    expect(optimizePrompt('a cat', 'Cartoon')).toBe(optimizePrompt('a cat', '卡通'));
    expect(optimizePrompt('a cat', 'watercolor')).toBe(optimizePrompt('a cat', '水彩'));
    expect(optimizePrompt('a cat', 'PHOTOREALISTIC')).toBe(optimizePrompt('a cat', 'photorealistic'));
  });

  it('takes user-defined styles, which may replace a built-in one', () => {
    const styles = { pixel: 'pixel art, 16-bit', sketch: 'charcoal' };
    expect(optimizePrompt('a cat', 'pixel', { styles })).toBe(
      'a cat, pixel art, 16-bit, high resolution, ultra detailed, sharp, no blur, no noise, high resolution',
    );
    expect(optimizePrompt('a cat', 'sketch', { styles })).toContain(', charcoal,');
    expect(styleNames({ styles })).toContain('pixel');
  });

  it('rejects an unknown style, listing the known ones', () => {
    expect(() => optimizePrompt('a cat', 'cubist')).toThrow(
      'unknown style "cubist"; styles: photorealistic, 油画, 卡通, 水彩, 素描, oil-painting, cartoon, watercolor, watercolour, sketch',
    );
  });
});
