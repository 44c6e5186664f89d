import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StubApi } from '../test-support/stub-api.ts';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.ts';
import { startTarget } from './support/target.ts';

let target: StubApi;
let browser: Browser;

beforeAll(async () => {
  [target, browser] = await Promise.all([startTarget(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
});

const navLabels = (page: import('playwright-core').Page) => page.locator('nav a').allTextContents();

describe('Language', () => {
  it('follows the browser, switches, and remembers the switch', async () => {
    const { page, context } = await openPage(browser, target.url, { locale: 'en-US' });
    await page.goto('/');
    expect(await navLabels(page)).toEqual(['Ask an image', 'Imagine', 'Voice assistant', 'Models']);
    await page.locator('#language').selectOption('zh');
    expect(await navLabels(page)).toEqual(['看图问答', '文生图', '语音助手', '模型']);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.goto('/#/imagine');
    expect(await page.locator('#imagine-submit').textContent()).toBe('生成');
    expect(await page.locator('#imagine-style option').nth(2).textContent()).toBe('油画 · Oil painting');
    expect(await page.getByText('尺寸（宽 × 高）').count()).toBe(1);
    await page.reload();
    expect(await page.locator('#imagine-submit').textContent()).toBe('生成');
    await screenshot(page, 'imagine-zh-desktop');
    await context.close();
  });

  it('starts in Chinese for a Chinese browser', async () => {
    const { page, context } = await openPage(browser, target.url, { locale: 'zh-CN', viewport: PHONE });
    await page.goto('/#/assistant');
    expect(await page.getByLabel('语音输入').isChecked()).toBe(true);
    expect(await page.getByTestId('status').textContent()).toBe('就绪。');
    await screenshot(page, 'assistant-zh-phone');
    await context.close();
  });
});

describe('Keyboard', () => {
  it('reaches the tabs and opens a page with Enter', async () => {
    const { page, context } = await openPage(browser, target.url);
    await page.goto('/#/ask');
    await page.locator('nav a').first().waitFor();
    await page.keyboard.press('Tab'); // the brand link
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('brand');
    for (let presses = 0; presses < 3; presses++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Voice assistant');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('page-assistant').isVisible()).toBe(true);
    expect(await page.getByTestId('page-ask').isVisible()).toBe(false);
    await context.close();
  });
});

describe('Models', () => {
  it('lists installed and loaded models, pulls with progress, and removes', async () => {
    const { page, context } = await openPage(browser, target.url);
    await page.goto('/#/models');
    const installed = page.getByTestId('installed-models');
    await expect.poll(() => installed.locator('tbody tr').count()).toBe(2);
    expect(await installed.textContent()).toContain('mmkit-testkit/llava');
    expect(await page.getByTestId('running-models').textContent()).toContain('180.0 MB');
    await screenshot(page, 'models-desktop');

    target.eventDelayMs = 60;
    await page.locator('#models-pull-id').fill('acme/tiny-chat');
    await page.locator('#models-pull').click();
    await expect.poll(() => page.getByRole('progressbar').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('progress').first().textContent()).toContain('config.json');
    target.eventDelayMs = 15;
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Pulled acme/tiny-chat.');
    await expect.poll(() => installed.locator('tbody tr').count()).toBe(3);

    const row = installed.locator('tr', { hasText: 'acme/tiny-chat' });
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Remove' }).click(); // the confirmation
    await expect.poll(() => installed.locator('tbody tr').count()).toBe(2);
    expect(
      target.requests.some((entry) => entry.method === 'DELETE' && entry.path === '/api/models/acme/tiny-chat'),
    ).toBe(true);

    await page.locator('#models-pull-id').fill('missing/nothing');
    await page.locator('#models-pull').click();
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toContain('model missing/nothing is not on the Hub');
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'models-phone');
    await context.close();
  });
});
