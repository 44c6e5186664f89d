import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { gifIsComplete } from './gif-complete.ts';
import { RED, solidImage } from './test-support/images.ts';

describe('gifIsComplete', () => {
  it('accepts whole GIFs (two frames with extensions; one frame from sharp)', async () => {
    expect(gifIsComplete(await readFile('src/preprocess/image/fixtures/coffee-two-frames.gif'))).toBe(true);
    expect(gifIsComplete(await solidImage(RED, 'gif'))).toBe(true);
  });

  it('refuses every shorter prefix, even one that happens to end in the trailer byte', async () => {
    const whole = await readFile('src/preprocess/image/fixtures/coffee-two-frames.gif');
    const complete: number[] = [];
    for (let length = 0; length < whole.length; length++) {
      if (gifIsComplete(whole.subarray(0, length))) complete.push(length);
    }
    expect(complete).toEqual([]);
    expect(whole.subarray(0, Math.floor(whole.length * 0.6)).at(-1)).toBe(0x3b);
  });

  it('refuses bytes that break the block structure', () => {
    const broken = new Uint8Array(40);
    broken.set([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]);
    broken[13] = 0x99;
    expect(gifIsComplete(broken)).toBe(false);
  });
});
