import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.ts';
import { seedCachedModel } from './support/model-cache.ts';
import { startTarget, type Target } from './support/target.ts';

let target: Target;
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
  it('lists cached and loaded models, explains a failed pull, removes, and unloads', async () => {
    const cached = await seedCachedModel(target.home, 'acme/tiny-chat');
    // A text question to the assistant loads the default chat model, so that something is running.
    const question = new FormData();
    question.set('input_type', 'text');
    question.set('text', 'hi');
    const reply = await fetch(`${target.url}/api/assistant`, { method: 'POST', body: question });
    expect(await reply.text()).toContain('event: done');

    const { page, context } = await openPage(browser, target.url);
    await page.goto('/#/models');
    const installed = page.getByTestId('installed-models');
    await expect.poll(() => installed.locator('tbody tr').count()).toBe(1);
    expect(await installed.textContent()).toContain('acme/tiny-chat');
    const running = page.getByTestId('running-models');
    await expect.poll(() => running.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await running.textContent()).toContain('models/llm');
    await screenshot(page, 'models-desktop');

    // The server is offline: a pull of a model it does not have fails, in words.
    await page.locator('#models-pull-id').fill('acme/missing');
    await page.locator('#models-pull').click();
    await expect.poll(() => page.getByTestId('error').count()).toBe(1);
    expect(await page.getByTestId('error').textContent()).toContain('acme/missing');

    const row = installed.locator('tr', { hasText: 'acme/tiny-chat' });
    await row.getByRole('button', { name: 'Remove' }).click();
    await row.getByRole('button', { name: 'Remove' }).click(); // the confirmation
    await expect.poll(() => page.getByText('No models').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('installed-models').count()).toBe(0);
    expect(existsSync(cached)).toBe(false);

    // Unload the chat model: its row leaves the loaded list, and the server no longer has it.
    const chatRow = running.locator('tr', { hasText: 'models/llm' });
    await chatRow.getByRole('button', { name: 'Unload' }).click();
    await expect.poll(() => running.locator('tr', { hasText: 'models/llm' }).count()).toBe(0);
    const ps = (await (await fetch(`${target.url}/api/ps`)).json()) as { models: { key: string }[] };
    expect(ps.models.some((model) => model.key.includes('models/llm'))).toBe(false);

    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'models-phone');
    await context.close();
  });
});
