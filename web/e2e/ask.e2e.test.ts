import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.ts';
import { startTarget, type Target } from './support/target.ts';

let target: Target;
let browser: Browser;
let page: Page;
let closeContext: () => Promise<void>;
let redPng: Buffer;

/** How many images the server has stored from uploads (each beside its `.json` record). */
const uploads = () => readdirSync(join(target.dataDir, 'uploads')).filter((name) => !name.endsWith('.json')).length;

beforeAll(async () => {
  [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
  redPng = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 210, g: 20, b: 25 } } })
    .png()
    .toBuffer();
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
});
beforeEach(async () => {
  const opened = await openPage(browser, target.url);
  page = opened.page;
  closeContext = () => opened.context.close();
  await page.goto('/#/ask');
});
afterEach(() => closeContext());

const pickImage = (name: string, mimeType: string, buffer: Buffer) =>
  page.locator('#ask-image').setInputFiles({ name, mimeType, buffer });

describe('Ask an image', () => {
  it('answers the colour of an uploaded red image, streams it, and keeps the conversation', async () => {
    await pickImage('red.png', 'image/png', redPng);
    await expect
      .poll(() => page.getByTestId('ask-preview').evaluate((image: HTMLImageElement) => image.naturalWidth))
      .toBe(64);
    // Keyboard: type the question and press Enter.
    await page.locator('#ask-question').fill('What colour is this image?');
    const before = uploads();
    await page.locator('#ask-question').press('Enter');
    // The tiny llava answers with the image's dominant colour.
    await expect.poll(() => page.getByTestId('answer').first().textContent()).toContain('red');
    expect(uploads()).toBe(before + 1);
    await screenshot(page, 'ask-desktop');

    await page.locator('#ask-question').fill('Are you sure?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('answer').count()).toBe(2);
    await expect.poll(() => page.getByTestId('answer').nth(1).textContent()).toContain('red');
    // The follow-up reused the stored upload instead of sending the image again.
    expect(uploads()).toBe(before + 1);
    expect(await page.getByTestId('answer').first().textContent()).toContain('red');
  });

  it('takes an iPhone HEIC photo and previews it from the PNG the server made', async () => {
    const heic = readFileSync(join(import.meta.dirname, '../../src/preprocess/image/fixtures/red-96x64.heic'));
    await pickImage('IMG_0001.HEIC', 'image/heic', heic);
    await page.locator('#ask-question').fill('What colour is this image?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('answer').first().textContent()).toContain('red');
    // Chromium cannot show HEIC; once uploaded, the preview is the stored PNG.
    await expect
      .poll(() => page.getByTestId('ask-preview').evaluate((image: HTMLImageElement) => image.naturalWidth))
      .toBe(96);
    expect(await page.getByTestId('ask-preview').getAttribute('src')).toMatch(/\/uploads\/.+\.png$/);
  });

  it('shows the text OCR read in the image', async () => {
    const sign = await sharp({ create: { width: 320, height: 100, channels: 3, background: '#ffffff' } })
      .composite([
        {
          input: Buffer.from(
            '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="100"><text x="20" y="68" font-family="sans-serif" font-size="48" font-weight="bold">HELLO</text></svg>',
          ),
        },
      ])
      .png()
      .toBuffer();
    await pickImage('sign.png', 'image/png', sign);
    await page.getByRole('combobox', { name: 'Read text in the image' }).selectOption('on');
    await page.locator('#ask-question').fill('What does it say?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('ocr').textContent()).toContain('HELLO');
    await expect.poll(() => page.getByTestId('answer').count()).toBe(1);
  });

  it('explains a non-image, an unreadable image and an oversized one, and still works after', async () => {
    const before = uploads();
    await pickImage('notes.txt', 'text/plain', Buffer.from('not a picture'));
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('“notes.txt” is not an image');
    await pickImage('huge.png', 'image/png', Buffer.alloc(11 * 1024 * 1024));
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('images may be at most 10.0 MB');
    expect(uploads()).toBe(before); // refused before any upload

    // Passes the browser's check, fails the server's: the server's one-line message is shown.
    await pickImage('fake.png', 'image/png', Buffer.from('plain text pretending'));
    await page.locator('#ask-question').fill('What is this?');
    await page.locator('#ask-submit').click();
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toContain('not a JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP image');
    expect(await page.locator('#ask-question').inputValue()).toBe('What is this?'); // kept for a retry

    await pickImage('red.png', 'image/png', redPng);
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('answer').last().textContent()).toContain('red');
    expect(await page.getByTestId('error').count()).toBe(0);
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize(PHONE);
    await pickImage('red.png', 'image/png', redPng);
    await page.locator('#ask-question').fill('What colour is this image?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('answer').first().textContent()).toContain('red');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'ask-phone');
  });
});
