import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StubApi } from '../test-support/stub-api.ts';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.ts';
import { startTarget } from './support/target.ts';

let target: StubApi;
let browser: Browser;
let page: Page;
let closeContext: () => Promise<void>;
let redPng: Buffer;

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
    await page.locator('#ask-question').press('Enter');
    await expect.poll(() => page.getByTestId('answer').first().textContent()).toContain('mostly red');
    await screenshot(page, 'ask-desktop');

    await page.locator('#ask-question').fill('Are you sure?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('answer').nth(1).textContent()).toContain('question 2');
    // The follow-up reused the upload and sent the first turn as history.
    const [first, followUp] = target.requests.filter((request) => request.path === '/api/ask').slice(-2);
    expect(first.body.image).toMatchObject({ name: 'red.png', type: 'image/png' });
    expect(followUp.body.image).toBeUndefined();
    expect(followUp.body.image_id).toEqual(expect.any(String));
    expect(JSON.parse(String(followUp.body.history))).toEqual([
      { role: 'user', content: 'What colour is this image?' },
      { role: 'assistant', content: 'The image is mostly red.' },
    ]);
  });

  it('shows the OCR text when the server used it', async () => {
    await pickImage('red.png', 'image/png', redPng);
    await page.getByRole('combobox', { name: 'Read text in the image' }).selectOption('on');
    await page.locator('#ask-question').fill('What does it say?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('ocr').textContent()).toContain('STUB OCR TEXT');
  });

  it('explains a non-image, an unreadable image and an oversized one, and still works after', async () => {
    const askRequests = () => target.requests.filter((request) => request.path === '/api/ask').length;
    const before = askRequests();
    await pickImage('notes.txt', 'text/plain', Buffer.from('not a picture'));
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('“notes.txt” is not an image');
    await pickImage('huge.png', 'image/png', Buffer.alloc(11 * 1024 * 1024));
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('images may be at most 10.0 MB');
    expect(askRequests()).toBe(before); // refused before any upload

    // Passes the browser's check, fails the server's: the server's one-line message is shown.
    await pickImage('fake.png', 'image/png', Buffer.from('plain text pretending'));
    await page.locator('#ask-question').fill('What is this?');
    await page.locator('#ask-submit').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('fake.png: not a readable image');
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
