import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/wav.ts';
import { synthesizeWhisperSpeech, WHISPER_SAMPLE_RATE } from '../../testkit/whisper-speech.ts';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser.ts';
import { startTarget, type Target } from './support/target.ts';

let target: Target;
let browser: Browser;
let page: Page;
let closeContext: () => Promise<void>;
let folder: string;

beforeAll(async () => {
  // Chromium's fake microphone plays this file in a loop: "one two three" as the tiny Whisper's
  // tone words, then three seconds of silence before it starts again (room for a slow machine to stop).
  folder = mkdtempSync(join(tmpdir(), 'mmkit-e2e-'));
  const words = synthesizeWhisperSpeech(['one', 'two', 'three']);
  const samples = new Float32Array(words.length + 3 * WHISPER_SAMPLE_RATE);
  samples.set(words);
  const microphone = join(folder, 'microphone.wav');
  writeFileSync(microphone, encodeWav(samples, WHISPER_SAMPLE_RATE));
  [target, browser] = await Promise.all([startTarget(), launchBrowser({ fakeAudioFile: microphone })]);
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
  rmSync(folder, { recursive: true, force: true });
});
beforeEach(async () => {
  const opened = await openPage(browser, target.url);
  page = opened.page;
  closeContext = () => opened.context.close();
  await page.goto('/#/assistant');
});
afterEach(() => closeContext());

/** Waits until an <audio> element has loaded a source with a real duration. */
async function loadedDuration(testId: string): Promise<number> {
  const audio = page.getByTestId(testId);
  await expect.poll(() => audio.evaluate((element: HTMLAudioElement) => element.readyState)).toBeGreaterThanOrEqual(1);
  return audio.evaluate((element: HTMLAudioElement) => element.duration);
}

describe('Voice assistant', () => {
  it('records through the microphone, shows the transcript and plays the answer sentence by sentence', async () => {
    expect(await page.getByTestId('status').textContent()).toBe('Ready.');
    await page.locator('#assistant-record').click();
    // Record the three words (2.6 s) and some of the silence after them, stopping before they repeat.
    await expect
      .poll(() => page.getByTestId('audio-chosen').textContent())
      .toMatch(/Recording… (2\.[89]|[34]\.\d|5\.[0-3]) s/);
    await page.locator('#assistant-stop').click();
    await expect.poll(() => page.getByTestId('audio-chosen').textContent()).toMatch(/Recorded \d+\.\d s of audio/);
    const uploadsBefore = readdirSync(join(target.dataDir, 'uploads')).length;
    await page.locator('#assistant-submit').click();

    // The tiny Whisper heard the words (the page sends language "zh", its default); the
    // echo LLM answers with what it was told, and espeak speaks it.
    await expect.poll(() => page.getByTestId('transcript').textContent()).toBe('一二三');
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Done.');
    expect(await page.getByTestId('assistant-answer').textContent()).toBe('一二三');
    expect(readdirSync(join(target.dataDir, 'uploads')).length).toBe(uploadsBefore); // audio is not kept
    // The first sentence's WAV went into the player as soon as it came, and it played.
    expect(await page.getByTestId('sentence-audio').getAttribute('src')).toMatch(/\/outputs\/.+\.wav$/);
    await expect
      .poll(() => page.getByTestId('sentence-audio').evaluate((element: HTMLAudioElement) => element.played.length))
      .toBeGreaterThan(0);
    expect(await loadedDuration('sentence-audio')).toBeGreaterThan(0.3);
    expect(await page.getByTestId('full-audio').getAttribute('src')).toMatch(/\/outputs\/.+\.wav$/);
    expect(await loadedDuration('full-audio')).toBeGreaterThan(0.5); // espeak saying three words
    await screenshot(page, 'assistant-desktop');
  });

  it('switches to text input, which shows the text box instead of the recorder', async () => {
    await page.getByLabel('Text input').check();
    expect(await page.getByTestId('speech-input').count()).toBe(0);
    await page.locator('#assistant-text').fill('hello there');
    await page.locator('#assistant-submit').click();
    await expect.poll(() => page.getByTestId('assistant-answer').textContent()).toBe('hello there');
    expect(await page.getByTestId('transcript').count()).toBe(0);
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Done.');
    await page.getByLabel('Speech input').check();
    expect(await page.locator('#assistant-record').isVisible()).toBe(true);
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'assistant-phone');
  });

  it("shows a reasoning model's thinking apart from the answer, folded once the answer came", async () => {
    // The echo model writes back a thinking block and an answer, as a reasoning model would.
    await page.getByLabel('Text input').check();
    await page.locator('#assistant-text').fill('<think>They greet me, so I greet back.</think>\n\nHello to you.');
    await page.locator('#assistant-submit').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Done.');
    expect(await page.getByTestId('assistant-answer').textContent()).toBe('Hello to you.');
    const thinking = page.getByTestId('thinking');
    expect(await thinking.locator('summary').textContent()).toBe('How the model thought');
    expect(await thinking.evaluate((element: HTMLDetailsElement) => element.open)).toBe(false);
    await thinking.locator('summary').click();
    expect(await thinking.evaluate((element: HTMLDetailsElement) => element.open)).toBe(true);
    expect(await thinking.locator('p').textContent()).toBe('They greet me, so I greet back.');
    await screenshot(page, 'assistant-thinking');
    // Only the answer was spoken: one short sentence of espeak.
    await expect.poll(() => loadedDuration('full-audio')).toBeLessThan(2.5);
  });

  it('sends the spoken language it is told: English makes the tiny Whisper write English words', async () => {
    await page.locator('#assistant-file').setInputFiles(join(folder, 'microphone.wav'));
    await page.getByLabel('Spoken language').selectOption('en');
    await page.locator('#assistant-submit').click();
    await expect.poll(() => page.getByTestId('transcript').textContent()).toBe('one two three');
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('Done.');
  });

  it('refuses a non-audio upload and sending with nothing recorded, in words', async () => {
    await page.locator('#assistant-submit').click();
    expect(await page.getByTestId('error').textContent()).toContain('Record something or choose an audio file first.');
    await page
      .locator('#assistant-file')
      .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('x') });
    expect(await page.getByTestId('error').textContent()).toContain('“photo.png” is not an audio file.');
  });
});
