import { readdirSync } from 'node:fs';
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

beforeAll(async () => {
  [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
});
beforeEach(async () => {
  const opened = await openPage(browser, target.url);
  page = opened.page;
  closeContext = () => opened.context.close();
  await page.goto('/#/imagine');
});
afterEach(() => closeContext());

/** How many files the server has written as outputs. */
const outputs = () => readdirSync(join(target.dataDir, 'outputs')).length;

/** Records every step the progress bar shows, however briefly: the tiny model is fast. */
async function recordProgress(): Promise<() => Promise<{ now: number[]; max: number[]; texts: string[] }>> {
  await page.evaluate(() => {
    const seen = { now: [] as number[], max: [] as number[], texts: [] as string[] };
    (window as unknown as { seenProgress: typeof seen }).seenProgress = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('[role="progressbar"]');
      if (!bar) return;
      seen.now.push(Number(bar.getAttribute('aria-valuenow')));
      seen.max.push(Number(bar.getAttribute('aria-valuemax')));
      seen.texts.push(document.querySelector('[data-testid="progress"]')?.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { seenProgress: { now: number[]; max: number[]; texts: string[] } }).seenProgress,
    );
}

async function fillForm(options: { prompt: string; count: number; steps: string; sizeLabel?: string }) {
  await page.locator('#imagine-prompt').fill(options.prompt);
  await page.locator('#imagine-style').selectOption('油画');
  if (options.sizeLabel) await page.locator('#imagine-size').selectOption({ label: options.sizeLabel });
  await page.locator('#imagine-count').fill(String(options.count));
  await page.getByText('Advanced').click();
  await page.locator('#imagine-steps').fill(options.steps);
  await page.locator('#imagine-seed').fill('42');
}

describe('Imagine', () => {
  it('offers the five styles with their Chinese names and the sizes as width × height', async () => {
    const styles = await page.locator('#imagine-style option').allTextContents();
    expect(styles.slice(1)).toEqual([
      'Photorealistic · 写实',
      'Oil painting · 油画',
      'Cartoon · 卡通',
      'Watercolour · 水彩',
      'Sketch · 素描',
    ]);
    expect(await page.locator('#imagine-size option').allTextContents()).toEqual([
      '512 × 512',
      '768 × 512',
      '1024 × 768',
    ]);
    await page.getByText('Advanced').click();
    expect(await page.locator('#imagine-negative').inputValue()).toBe(
      'low quality, blurry, ugly, deformed, watermark, text, noise',
    );
    expect(await page.locator('#imagine-steps').inputValue()).toBe('60');
  });

  it('shows progress per step, then fills the gallery with downloadable images and their provenance', async () => {
    const progress = await recordProgress();
    const before = outputs();
    // The tiny model's smallest size and a few steps keep it quick.
    await fillForm({ prompt: 'a red apple', count: 2, steps: '3', sizeLabel: '512 × 512' });
    await page.locator('#imagine-submit').click();
    await expect.poll(() => page.getByTestId('gallery-item').count()).toBe(2);
    await expect.poll(() => page.getByTestId('progress').count()).toBe(0);
    const seen = await progress();
    // The bar starts at the requested steps, then follows the server's count (PNDM adds a warm-up
    // step), and its last state is the last step.
    expect(seen.max[0]).toBe(3);
    const total = seen.max[seen.max.length - 1];
    expect(total).toBeGreaterThanOrEqual(3);
    expect(seen.now[seen.now.length - 1]).toBe(total);
    expect(seen.texts[seen.texts.length - 1]).toBe(`Step ${total} of ${total}`);
    // It moved forward only (steps that arrive together may render as one: React batches them).
    expect(seen.now[0]).toBeLessThan(total);
    for (let index = 1; index < seen.now.length; index++) {
      expect(seen.now[index]).toBeGreaterThanOrEqual(seen.now[index - 1]!);
    }
    expect(outputs()).toBeGreaterThanOrEqual(before + 2); // the two PNGs the server wrote

    const first = page.getByTestId('gallery-item').first();
    await expect.poll(() => first.locator('img').evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(512);
    expect(await first.locator('img').evaluate((image: HTMLImageElement) => image.naturalHeight)).toBe(512);
    expect(await page.locator('[data-field="seed"]').allTextContents()).toEqual(['42', '43']);
    expect(await first.locator('[data-field="scheduler"]').textContent()).toBe('PNDMScheduler');
    expect(await first.locator('[data-field="model"]').textContent()).toMatch(/models\/sd$/);
    expect(await first.locator('[data-field="steps"]').textContent()).toBe('3');
    expect(await first.locator('[data-field="prompt"]').textContent()).toContain('a red apple');

    // The download link serves the PNG itself, and it is red.
    const link = first.getByRole('link', { name: 'Download' });
    expect(await link.getAttribute('download')).toMatch(/\.png$/);
    const href = await link.evaluate((anchor: HTMLAnchorElement) => anchor.href);
    const png = Buffer.from(await (await fetch(href)).arrayBuffer());
    const { dominant } = await sharp(png).stats();
    expect(dominant.r).toBeGreaterThan(150);
    expect(dominant.g).toBeLessThan(80);

    // Two columns on a desktop.
    const boxes = await page
      .getByTestId('gallery-item')
      .evaluateAll((items) => items.map((item) => item.getBoundingClientRect().top));
    expect(boxes[0]).toBe(boxes[1]);
    await screenshot(page, 'imagine-desktop');
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'imagine-phone');
  });

  it('says which fields are wrong without sending anything', async () => {
    const before = outputs();
    await page.getByText('Advanced').click();
    await page.locator('#imagine-steps').fill('0');
    await page.locator('#imagine-seed').fill('abc');
    await page.locator('#imagine-submit').click();
    expect(await page.locator('#imagine-prompt-error').textContent()).toBe('Describe the image you want.');
    expect(await page.locator('#imagine-steps-error').textContent()).toBe('A whole number from 1 to 150.');
    expect(await page.locator('#imagine-seed-error').textContent()).toContain('A whole number from 0 to');
    expect(await page.locator('#imagine-steps').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('progress').count()).toBe(0);
    expect(outputs()).toBe(before);
  });

  it('starts from a picture: its own shape, kept blue at a low strength, the strength in the provenance', async () => {
    const blue = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } } })
      .png()
      .toBuffer();
    await page.locator('#imagine-prompt').fill('a red apple');
    await page.locator('#imagine-start-image').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: blue });
    await expect.poll(() => page.getByTestId('start-image').count()).toBe(1);
    // Picking a picture picks its shape as the size.
    expect(await page.locator('#imagine-size option:checked').textContent()).toBe("The picture's shape");
    await page.locator('#imagine-strength').fill('0.2');
    await page.getByText('Advanced').click();
    await page.locator('#imagine-steps').fill('10');
    await page.locator('#imagine-guidance').fill('1');
    await page.locator('#imagine-submit').click();
    await expect.poll(() => page.getByTestId('gallery-item').count()).toBe(1);
    const item = page.getByTestId('gallery-item').first();
    expect(await item.locator('[data-field="strength"]').textContent()).toBe('0.2');
    // 96 × 64 at the model's usual 512 × 512 pixels.
    expect(await item.locator('[data-field="size"]').textContent()).toBe('624x416');
    const href = await item
      .getByRole('link', { name: 'Download' })
      .evaluate((anchor: HTMLAnchorElement) => anchor.href);
    const { channels } = await sharp(Buffer.from(await (await fetch(href)).arrayBuffer())).stats();
    expect(channels[2]!.mean).toBeGreaterThan(channels[0]!.mean + 40);
    await screenshot(page, 'imagine-from-picture');

    // Removing the picture brings back the sizes of text to image.
    await page.getByRole('button', { name: 'Remove picture' }).click();
    expect(await page.locator('#imagine-size option:checked').textContent()).toBe('512 × 512');
    expect(await page.locator('#imagine-strength').count()).toBe(0);
  });

  it('inpaints what is painted over: the left half turns red, the right half stays the blue picture', async () => {
    const blue = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } } })
      .png()
      .toBuffer();
    await page.locator('#imagine-prompt').fill('a red apple');
    await page.locator('#imagine-start-image').setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: blue });
    const canvas = page.locator('#imagine-mask');
    await expect.poll(() => canvas.count()).toBe(1);
    // Paint the left half, row by row.
    const box = (await canvas.boundingBox())!;
    for (let row = 0.05; row < 1; row += 0.1) {
      await page.mouse.move(box.x + 2, box.y + row * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.42, box.y + row * box.height, { steps: 4 });
      await page.mouse.up();
    }
    // Painting sets the strength to 1 (the painted part is drawn anew).
    await expect.poll(() => page.locator('#imagine-strength').inputValue()).toBe('1');
    await page.getByText('Advanced').click();
    await page.locator('#imagine-steps').fill('4');
    await page.locator('#imagine-guidance').fill('1');
    await page.locator('#imagine-seed').fill('42');
    await page.locator('#imagine-submit').click();
    await expect.poll(() => page.getByTestId('gallery-item').count()).toBe(1);
    const item = page.getByTestId('gallery-item').first();
    const href = await item
      .getByRole('link', { name: 'Download' })
      .evaluate((anchor: HTMLAnchorElement) => anchor.href);
    const { data, info } = await sharp(Buffer.from(await (await fetch(href)).arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Mean red and blue of the middle rows over a band of columns: the seed's texture varies pixel to pixel.
    const band = (from: number, to: number) => {
      const sums = [0, 0, 0];
      let count = 0;
      for (let y = Math.floor(info.height * 0.3); y < info.height * 0.7; y++) {
        for (let x = Math.floor(from * info.width); x < to * info.width; x++, count++) {
          for (let channel = 0; channel < 3; channel++) sums[channel]! += data[(y * info.width + x) * 3 + channel]!;
        }
      }
      return sums.map((sum) => sum / count);
    };
    const [leftRed, , leftBlue] = band(0.05, 0.3);
    const [rightRed, , rightBlue] = band(0.7, 0.95);
    expect(leftRed!).toBeGreaterThan(leftBlue! + 100);
    expect(rightBlue!).toBeGreaterThan(rightRed! + 100);
    await screenshot(page, 'imagine-inpainting');
  });

  it('explains a connection dropped mid-generation and works again after', async () => {
    // The stream stops after two progress events, with no `done`: what a dropped connection looks like.
    await page.route('**/api/imagine', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'text/event-stream',
        body: 'event: progress\ndata: {"step":1,"total_steps":12}\n\nevent: progress\ndata: {"step":2,"total_steps":12}\n\nevent: progr',
      }),
    );
    await fillForm({ prompt: 'a blue sea', count: 1, steps: '2', sizeLabel: '512 × 512' });
    await page.locator('#imagine-submit').click();
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('connection to the server was lost');
    expect(await page.getByTestId('progress').count()).toBe(0);
    expect(await page.getByTestId('gallery-item').count()).toBe(0);

    await page.unroute('**/api/imagine');
    await page.locator('#imagine-submit').click();
    await expect.poll(() => page.getByTestId('gallery-item').count()).toBe(1);
    expect(await page.getByTestId('error').count()).toBe(0);
  });
});
