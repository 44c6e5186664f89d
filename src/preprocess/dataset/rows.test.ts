import { describe, expect, it } from 'vitest';
import { containedImagePath, ImagePathResolver, parseLine } from './rows.ts';

describe('containedImagePath', () => {
  const dir = '/data/images';
  it('keeps paths inside the images folder, normalised', () => {
    expect(containedImagePath(dir, 'cat.jpg')).toBe('cat.jpg');
    expect(containedImagePath(dir, './a/b/../cat.jpg')).toBe('a/cat.jpg');
    expect(containedImagePath(dir, 'a//cat.jpg')).toBe('a/cat.jpg');
  });

  it('refuses paths that leave it', () => {
    for (const value of [
      '../cat.jpg',
      'a/../../cat.jpg',
      '/etc/passwd',
      'C:\\images\\cat.jpg',
      '\\\\server\\share\\x.jpg',
      'a\0b',
    ]) {
      expect(containedImagePath(dir, value)).toBeUndefined();
    }
  });
});

describe('parseLine', () => {
  const paths = new ImagePathResolver('/data/images');
  it('counts code points, not UTF-16 units, for the minimum text length', () => {
    const line = (text: string) => JSON.stringify({ image_filename: 'x.png', text });
    expect(parseLine(line('𝒶𝒷𝒸𝒹𝑒'), paths, 5).ok).toBe(true);
    expect(parseLine(line('𝒶𝒷𝒸'), paths, 5)).toMatchObject({ ok: false, reason: 'text_too_short' });
  });

  it('names the missing fields', () => {
    expect(parseLine('{"image_path": "x.png", "question": "What is this?"}', paths, 5)).toEqual({
      ok: false,
      reason: 'missing_field',
      detail: "no string field 'answer'",
    });
  });
});
