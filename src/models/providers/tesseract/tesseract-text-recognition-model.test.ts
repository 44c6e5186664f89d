import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { isMmkitError } from '../../../errors.ts';
import { TesseractTextRecognitionModel } from './tesseract-text-recognition-model.ts';
import { renderTextPng } from './test-support/render-text.ts';

const model = new TesseractTextRecognitionModel();
afterAll(() => model.dispose());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error,
  );

describe('TesseractTextRecognitionModel', () => {
  it('reads both installed languages by default', () => {
    expect(model.languages).toEqual(['eng', 'chi_sim']);
  });

  it('reads rendered English text, line by line, with high confidence', async () => {
    const image = await renderTextPng('The quick brown fox jumps over the lazy dog\nPixel 8 Pro, Android 14');
    const result = await model.recognize(image);
    expect(result.text).toBe('The quick brown fox jumps over the lazy dog\nPixel 8 Pro, Android 14');
    expect(result.lines.map((line) => line.text)).toEqual([
      'The quick brown fox jumps over the lazy dog',
      'Pixel 8 Pro, Android 14',
    ]);
    expect(result.confidence).toBeGreaterThan(0.8);
    expect(result.confidence).toBeLessThanOrEqual(1);
    for (const line of result.lines) expect(line.confidence).toBeGreaterThan(0.8);
  });

  it('reads rendered Chinese text without spaces between characters', async () => {
    const image = await renderTextPng('今天天气很好\n手机型号和系统版本');
    const result = await model.recognize(image);
    expect(result.lines.map((line) => line.text)).toEqual(['今天天气很好', '手机型号和系统版本']);
    expect(result.confidence).toBeGreaterThan(0.8);
  });

  it('reads mixed Chinese and English, and light text on a dark background', async () => {
    const mixed = await model.recognize(await renderTextPng('型号：Pixel 8 Pro'));
    // The full-width colon may come back as an ASCII one: compare NFKC forms, without spaces.
    expect(mixed.text.normalize('NFKC').replace(/\s+/g, '')).toBe('型号:Pixel8Pro');
    const inverted = await renderTextPng('System version 14', { foreground: '#f0f0f0', background: '#202830' });
    expect((await model.recognize(inverted)).text).toBe('System version 14');
  });

  it('finds no text in a blank image', async () => {
    const blank = await sharp({ create: { width: 200, height: 80, channels: 3, background: '#ffffff' } })
      .png()
      .toBuffer();
    const result = await model.recognize(blank);
    expect(result).toEqual({ text: '', confidence: 0, lines: [] });
  });

  it('reads English only when asked, and never writes trained data to the working folder', async () => {
    const result = await model.recognize(await renderTextPng('Hello OCR 2024'), { languages: ['eng'] });
    expect(result.text).toBe('Hello OCR 2024');
    expect(existsSync('eng.traineddata')).toBe(false);
    expect(existsSync('chi_sim.traineddata')).toBe(false);
  });

  it('rejects bad input with one-line errors', async () => {
    const notImage = await failure(model.recognize(new TextEncoder().encode('not an image'), { name: 'notes.txt' }));
    expect(isMmkitError(notImage) && notImage.message).toMatch(/^notes\.txt: not a readable image/);
    const language = await failure(model.recognize(await renderTextPng('x'), { languages: ['fra'] }));
    expect(isMmkitError(language) && language.code).toBe('ocr_language_unavailable');
    expect(() => new TesseractTextRecognitionModel({ languages: ['klingon'] })).toThrow(/klingon is not installed/);
  });

  it('refuses work after dispose', async () => {
    const short = new TesseractTextRecognitionModel({ languages: ['eng'] });
    expect((await short.recognize(await renderTextPng('ok then'))).text).toBe('ok then');
    await short.dispose();
    const disposed = await failure(short.recognize(await renderTextPng('ok')));
    expect(isMmkitError(disposed) && disposed.code).toBe('model_disposed');
  });
});
