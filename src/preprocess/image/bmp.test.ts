import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { decodeBmp } from './bmp.ts';
import { inCommonFormat } from './convert-to-png.ts';
import { decodeRgb } from './decode.ts';
import { probeImage } from './probe.ts';
import { fixturesDirectory } from './test-support/golden.ts';

const fixture = (name: string) => `${fixturesDirectory}${name}`;
const LIMITS = { name: 'test.bmp', maxPixels: 1_000_000 };

/**
 * A BMP file: 14-byte file header, `info` (the info header, masks and palette as bytes), `gap` spare
 * bytes, then `pixels`; the pixel offset says where they start.
 */
function bmpFile(info: number[], pixels: number[], gap = 0): Uint8Array {
  const offset = 14 + info.length + gap;
  const bytes = new Uint8Array(offset + pixels.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, offset, true);
  bytes.set(info, 14);
  bytes.set(pixels, offset);
  return bytes;
}

/** A BITMAPINFOHEADER (40 bytes), or a larger one padded with zeros. */
function infoHeader(fields: {
  width: number;
  height: number;
  bits: number;
  compression?: number;
  colors?: number;
  size?: number;
}): number[] {
  const header = new Uint8Array(fields.size ?? 40);
  const view = new DataView(header.buffer);
  view.setUint32(0, header.length, true);
  view.setInt32(4, fields.width, true);
  view.setInt32(8, fields.height, true);
  view.setUint16(12, 1, true);
  view.setUint16(14, fields.bits, true);
  view.setUint32(16, fields.compression ?? 0, true);
  view.setUint32(32, fields.colors ?? 0, true);
  return [...header];
}

const u32 = (value: number) => [value & 255, (value >>> 8) & 255, (value >>> 16) & 255, value >>> 24];
/** Palette entries as BMP stores them: blue, green, red, 0. */
const paletteOf = (...colours: [number, number, number][]) => colours.flatMap(([r, g, b]) => [b, g, r, 0]);
const pixelsOf = (rgba: Uint8Array) => [...rgba];

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isMmkitError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an MmkitError');
}

describe('BMP files as writers make them (ffmpeg: 24, 32, 16 bits, 565 bit fields, 8- and 1-bit palettes)', () => {
  it.each([
    ['bgr24', 'chelsea-48x32.png', 0],
    ['bgra', 'chelsea-48x32.png', 0],
    ['pal8', 'chelsea-48x32-pal8.png', 0],
    ['monob', 'chelsea-48x32-monob.png', 0],
    // Five bits per channel (six for 565 green): within the step of one level.
    // Against ffmpeg's own reading (it widens 5 and 6 bits by repeating the high bits; here they are
    // scaled and rounded: at most 1 apart).
    ['rgb555le', 'chelsea-48x32-rgb555le.png', 1],
    ['rgb565le', 'chelsea-48x32-rgb565le.png', 1],
  ])('%s decodes to the pixels of the PNG it was written from', async (format, reference, tolerance) => {
    const bmp = await decodeRgb(fixture(`chelsea-48x32-${format}.bmp`));
    const png = await decodeRgb(fixture(reference));
    expect([bmp.width, bmp.height]).toEqual([48, 32]);
    let largest = 0;
    for (let index = 0; index < png.data.length; index++) {
      largest = Math.max(largest, Math.abs(bmp.data[index]! - png.data[index]!));
    }
    expect(largest).toBeLessThanOrEqual(tolerance);
  });

  it('arrives as a PNG of the same pixels, and the probe reads its size from the header', async () => {
    const bytes = await readFile(fixture('chelsea-48x32-bgr24.bmp'));
    expect(await probeImage(bytes)).toEqual({ format: 'bmp', width: 48, height: 32 });
    expect(await probeImage(fixture('chelsea-48x32-bgr24.bmp'))).toEqual({ format: 'bmp', width: 48, height: 32 });
    const arrived = await inCommonFormat(bytes, LIMITS);
    expect(arrived).toMatchObject({ format: 'png', width: 48, height: 32, converted: true });
    const again = await decodeRgb(arrived.bytes);
    expect(Buffer.from(again.data).equals(Buffer.from((await decodeRgb(bytes)).data))).toBe(true);
  });
});

describe('decodeBmp', () => {
  const red: [number, number, number] = [255, 0, 0];
  const green: [number, number, number] = [0, 255, 0];
  const blue: [number, number, number] = [0, 0, 255];

  it('reads rows bottom-up, or top-down for a negative height, from the offset the file gives', () => {
    // 2 × 2, 24 bits: each row padded to 8 bytes. Stored first: the bottom row (blue, green).
    const rows = [255, 0, 0, 0, 255, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0];
    const bottomUp = decodeBmp(bmpFile(infoHeader({ width: 2, height: 2, bits: 24 }), rows, 6), LIMITS);
    expect(pixelsOf(bottomUp.rgba)).toEqual([255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 255, 255, 0, 255, 0, 255]);
    const topDown = decodeBmp(bmpFile(infoHeader({ width: 2, height: -2, bits: 24 }), rows), LIMITS);
    expect(pixelsOf(topDown.rgba)).toEqual([0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('maps 4-bit indices through a short palette (colours used: 3)', () => {
    const info = [...infoHeader({ width: 3, height: 1, bits: 4, colors: 3 }), ...paletteOf(red, green, blue)];
    const image = decodeBmp(bmpFile(info, [0x21, 0x00, 0, 0]), LIMITS);
    expect(pixelsOf(image.rgba)).toEqual([0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255]);
  });

  it('reads an OS/2 core header (12 bytes, 3-byte palette entries, as many as fit before the pixels)', () => {
    const core = [12, 0, 0, 0, 9, 0, 1, 0, 1, 0, 4, 0];
    // 4 bits, but only two entries (blue, red as blue-green-red triples), then one row of 9 pixels.
    const info = [...core, 255, 0, 0, 0, 0, 255];
    const image = decodeBmp(bmpFile(info, [0x10, 0x10, 0x00, 0x00, 0x10, 0, 0, 0]), LIMITS);
    const blueOrRed = [...image.rgba].filter((_, index) => index % 4 === 0);
    expect(blueOrRed).toEqual([255, 0, 255, 0, 0, 0, 0, 0, 255]);
  });

  it('expands RLE8 runs, literal groups, line ends and deltas (skipped pixels take entry 0)', () => {
    const info = [
      ...infoHeader({ width: 4, height: 2, bits: 8, compression: 1, colors: 3 }),
      ...paletteOf(red, green, blue),
    ];
    // Bottom line: a literal group of 3 (green, blue, red; padded to 16 bits), a run of 1 × green, line
    // end; top line: a delta of 3 right, a run of 1 × blue, end of bitmap.
    const data = [0, 3, 1, 2, 0, 0, 1, 1, 0, 0, 0, 2, 3, 0, 1, 2, 0, 1];
    const image = decodeBmp(bmpFile(info, data), LIMITS);
    const row = (y: number) => pixelsOf(image.rgba.subarray(y * 16, y * 16 + 16));
    expect(row(0)).toEqual([255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
    expect(row(1)).toEqual([0, 255, 0, 255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255]);
  });

  it('expands RLE4 nibble runs and literal nibbles', () => {
    const info = [
      ...infoHeader({ width: 6, height: 1, bits: 4, compression: 2, colors: 3 }),
      ...paletteOf(red, green, blue),
    ];
    // A run of 3 alternating 1, 2 (green, blue, green), a literal group of the nibbles 0, 1, 2 (red,
    // green, blue), end of bitmap.
    const image = decodeBmp(bmpFile(info, [3, 0x12, 0, 3, 0x01, 0x20, 0, 1]), LIMITS);
    const [r, g, b] = [
      [255, 0, 0, 255],
      [0, 255, 0, 255],
      [0, 0, 255, 255],
    ];
    expect(pixelsOf(image.rgba)).toEqual([...g!, ...b!, ...g!, ...r!, ...g!, ...b!]);
  });

  it('keeps alpha from a V5 header’s bit fields, and treats an alpha channel no pixel uses as opaque', () => {
    const v5 = (alphas: number[]) => {
      const header = infoHeader({ width: 2, height: 1, bits: 32, compression: 3, size: 124 });
      header.splice(40, 16, ...u32(0x00ff0000), ...u32(0x0000ff00), ...u32(0x000000ff), ...u32(0xff000000));
      return bmpFile(
        header,
        alphas.flatMap((alpha) => [10, 20, 30, alpha]),
      );
    };
    expect(pixelsOf(decodeBmp(v5([128, 255]), LIMITS).rgba)).toEqual([30, 20, 10, 128, 30, 20, 10, 255]);
    expect(pixelsOf(decodeBmp(v5([0, 0]), LIMITS).rgba)).toEqual([30, 20, 10, 255, 30, 20, 10, 255]);
  });

  it('refuses, in one line: cut-off pixels, a size over the bound (before allocating), embedded JPEG', () => {
    const cut = bmpFile(infoHeader({ width: 100, height: 100, bits: 24 }), [1, 2, 3]);
    expect(refusal(() => decodeBmp(cut, LIMITS))).toMatchObject({ code: 'image_unreadable' });
    expect(refusal(() => decodeBmp(cut, LIMITS)).message).toMatch(
      /^test\.bmp: cannot read the BMP image \(the pixels are cut off/,
    );
    const huge = bmpFile(infoHeader({ width: 2_000_000_000, height: 2_000_000_000, bits: 24 }), []);
    expect(refusal(() => decodeBmp(huge, LIMITS))).toMatchObject({ code: 'image_too_large' });
    const jpeg = bmpFile(infoHeader({ width: 2, height: 2, bits: 0, compression: 4 }), [0xff, 0xd8]);
    expect(refusal(() => decodeBmp(jpeg, LIMITS)).message).toMatch(/embedded JPEG .* is not supported/);
    const rle = bmpFile(
      [...infoHeader({ width: 4, height: 2, bits: 8, compression: 1, colors: 1 }), ...paletteOf(red)],
      [2, 0],
    );
    expect(refusal(() => decodeBmp(rle, LIMITS)).message).toMatch(/run-length data is cut off/);
  });
});
