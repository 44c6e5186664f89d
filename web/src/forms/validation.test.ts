import { describe, expect, it } from 'vitest';
import {
  checkAudioFile,
  checkImageFile,
  checkImagineForm,
  checkText,
  DEFAULT_NEGATIVE_PROMPT,
  formatBytes,
  type ImagineFormValues,
  MAX_IMAGE_BYTES,
  PICTURE_SIZE,
} from './validation.ts';

const form: ImagineFormValues = {
  prompt: '  a red apple  ',
  style: '油画',
  sizeIndex: 1,
  count: 2,
  steps: '60',
  guidance: '7.5',
  seed: '42',
  negativePrompt: DEFAULT_NEGATIVE_PROMPT,
  strength: 0.8,
};

describe('checkImageFile', () => {
  it('accepts common images by type, or by name when the type is unknown', () => {
    expect(checkImageFile({ name: 'a.png', type: 'image/png', size: 100 })).toBeUndefined();
    expect(checkImageFile({ name: 'photo.JPG', type: '', size: 100 })).toBeUndefined();
    // iPhone photos, AVIF, TIFF and BMP: the server converts them.
    expect(checkImageFile({ name: 'IMG_0001.HEIC', type: 'image/heic', size: 100 })).toBeUndefined();
    expect(checkImageFile({ name: 'IMG_0002.HEIC', type: '', size: 100 })).toBeUndefined();
    expect(checkImageFile({ name: 'a.avif', type: 'image/avif', size: 100 })).toBeUndefined();
    expect(checkImageFile({ name: 'scan.tif', type: 'image/tiff', size: 100 })).toBeUndefined();
    expect(checkImageFile({ name: 'paint.bmp', type: 'image/bmp', size: 100 })).toBeUndefined();
  });

  it('names a non-image file', () => {
    expect(checkImageFile({ name: 'notes.txt', type: 'text/plain', size: 10 })).toEqual({
      key: 'error.notImage',
      params: { name: 'notes.txt' },
    });
    expect(checkImageFile({ name: 'x.svg', type: 'image/svg+xml', size: 10 })?.key).toBe('error.notImage');
  });

  it('refuses an oversized image with its size and the limit', () => {
    expect(checkImageFile({ name: 'big.png', type: 'image/png', size: MAX_IMAGE_BYTES })).toBeUndefined();
    expect(checkImageFile({ name: 'big.png', type: 'image/png', size: 12 * 1024 * 1024 })).toEqual({
      key: 'error.imageTooLarge',
      params: { name: 'big.png', size: '12.0 MB', limit: '10.0 MB' },
    });
  });
});

describe('checkAudioFile', () => {
  it('accepts audio and WebM recordings, refuses others', () => {
    expect(checkAudioFile({ name: 'a.webm', type: 'audio/webm;codecs=opus', size: 10 })).toBeUndefined();
    expect(checkAudioFile({ name: 'a.mp3', type: '', size: 10 })).toBeUndefined();
    expect(checkAudioFile({ name: 'a.png', type: 'image/png', size: 10 })?.key).toBe('error.notAudio');
    expect(checkAudioFile({ name: 'a.wav', type: 'audio/wav', size: 26 * 1024 * 1024 })?.key).toBe(
      'error.audioTooLarge',
    );
  });
});

describe('checkText', () => {
  it('refuses blank and overlong text', () => {
    expect(checkText('  \n', 'error.emptyQuestion', 10)).toEqual({ key: 'error.emptyQuestion' });
    expect(checkText('x'.repeat(11), 'error.emptyQuestion', 10)).toEqual({
      key: 'error.tooLong',
      params: { limit: 10 },
    });
    expect(checkText('what colour?', 'error.emptyQuestion', 20)).toBeUndefined();
  });
});

describe('formatBytes', () => {
  it('picks a readable unit', () => {
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(2048)).toBe('2 KB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MB');
  });
});

describe('checkImagineForm', () => {
  it('builds the request body with width × height from the chosen size', () => {
    expect(checkImagineForm(form)).toEqual({
      ok: true,
      body: {
        prompt: 'a red apple',
        negative_prompt: DEFAULT_NEGATIVE_PROMPT,
        style: '油画',
        width: 768,
        height: 512,
        steps: 60,
        guidance: 7.5,
        count: 2,
        seed: 42,
      },
    });
  });

  it('leaves out an empty seed and style', () => {
    const result = checkImagineForm({ ...form, seed: ' ', style: '' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect('seed' in result.body).toBe(false);
    expect('style' in result.body).toBe(false);
  });

  it('reports every bad field at once', () => {
    const result = checkImagineForm({ ...form, prompt: ' ', steps: '2.5', guidance: 'abc', count: 5, seed: '-1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.problems).sort()).toEqual(['count', 'guidance', 'prompt', 'seed', 'steps']);
    expect(result.problems.prompt).toEqual({ key: 'error.emptyPrompt' });
    expect(result.problems.steps).toEqual({ key: 'error.integerRange', params: { min: 1, max: 150 } });
  });

  it('with a start picture: sends strength, and no size when the picture keeps its shape', () => {
    const kept = checkImagineForm({ ...form, sizeIndex: PICTURE_SIZE, strength: 0.35 }, true);
    expect(kept.ok && kept.body).toMatchObject({ strength: 0.35 });
    expect(kept.ok && ('width' in kept.body || 'height' in kept.body)).toBe(false);
    const sized = checkImagineForm({ ...form, sizeIndex: 1 }, true);
    expect(sized.ok && sized.body).toMatchObject({ width: 768, height: 512, strength: 0.8 });
    // Without a picture there is no strength and no picture-shaped size.
    const plain = checkImagineForm({ ...form, sizeIndex: PICTURE_SIZE });
    expect(plain.ok && plain.body).toMatchObject({ width: 512, height: 512 });
    expect(plain.ok && 'strength' in plain.body).toBe(false);
    const zero = checkImagineForm({ ...form, strength: 0 }, true);
    expect(zero.ok ? undefined : zero.problems.strength).toEqual({
      key: 'error.numberRange',
      params: { min: 0.01, max: 1 },
    });
  });
});
