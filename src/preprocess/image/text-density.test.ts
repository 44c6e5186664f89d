import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { renderTextPng } from '../../models/providers/tesseract/test-support/render-text.ts';
import { textDensity } from './text-density.ts';

const photo = (name: string) => readFile(join(import.meta.dirname, 'fixtures', 'photos', name));

/** A phone-settings-like screenshot: a few lines of text on a large plain page. */
async function screenshot(): Promise<Buffer> {
  const text = await renderTextPng('Settings\nAbout phone\nModel: Pixel 8 Pro\nAndroid version 14', { size: 40 });
  return sharp({ create: { width: 1080, height: 1920, channels: 3, background: '#fafafa' } })
    .composite([{ input: text, top: 120, left: 40 }])
    .png()
    .toBuffer();
}

/** A smooth gradient with noise: texture and no text. */
async function noisyGradient(): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const pixels = Buffer.alloc(width * height * 3);
  let state = 7;
  for (let index = 0; index < width * height; index++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const value = ((index % width) / width) * 200 + (state % 48);
    pixels.fill(Math.min(255, value), index * 3, index * 3 + 3);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

describe('textDensity', () => {
  it('finds text in rendered English, Chinese, inverted and screenshot images', async () => {
    const images = [
      await renderTextPng('The quick brown fox jumps over the lazy dog\nPixel 8 Pro, Android 14'),
      await renderTextPng('今天天气很好\n手机型号和系统版本'),
      await renderTextPng('System version 14\nBuild AP1A', { foreground: '#f0f0f0', background: '#202830' }),
      await renderTextPng('The quick brown fox jumps over the lazy dog', { size: 14 }),
      await screenshot(),
      await renderTextPng('OK', { size: 20 }),
    ];
    for (const image of images) {
      const density = await textDensity(image);
      expect(density.likelyText).toBe(true);
    }
    const screen = await textDensity(await screenshot());
    expect(screen.textTiles).toBeGreaterThanOrEqual(15);
  });

  it('finds none in real photos or a noisy gradient', async () => {
    for (const image of [
      await photo('chelsea.jpg'),
      await photo('coffee.jpg'),
      await photo('rocket.jpg'),
      await noisyGradient(),
    ]) {
      const density = await textDensity(image);
      expect(density.likelyText).toBe(false);
      expect(density.textTiles).toBeLessThan(8);
    }
    expect((await textDensity(await photo('chelsea.jpg'))).textTiles).toBe(0);
  });

  it('rejects what is not an image', async () => {
    const error = await textDensity(new TextEncoder().encode('plain text'), { name: 'note.txt' }).catch(
      (caught) => caught,
    );
    expect(isMmkitError(error) && error.message).toMatch(/^note\.txt: not a readable image/);
  });
});
