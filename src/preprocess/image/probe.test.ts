import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { probeImage, sniffImageFormat } from './probe.ts';
import { fixturesDirectory } from './test-support/golden.ts';

describe('image probe', () => {
  it.each([
    ['rocket.jpg', 'jpeg'],
    ['coffee-alpha.png', 'png'],
    ['retina.webp', 'webp'],
    ['coffee-two-frames.gif', 'gif'],
  ])('sniffs %s as %s and probes its size', async (name, format) => {
    const bytes = await readFile(`${fixturesDirectory}${name}`);
    expect(sniffImageFormat(bytes)).toBe(format);
    const probe = await probeImage(bytes);
    expect(probe.format).toBe(format);
    expect(probe.width * probe.height).toBeGreaterThan(10_000);
  });

  it('does not recognise text or a lone JPEG marker', () => {
    expect(sniffImageFormat(Buffer.from('hello, world'))).toBeUndefined();
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8]))).toBeUndefined();
  });
});
