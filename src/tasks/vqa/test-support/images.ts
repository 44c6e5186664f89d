/** Small encoded test images made with sharp. */
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export type Rgb = readonly [number, number, number];
export const RED: Rgb = [230, 20, 25];
export const GREEN: Rgb = [20, 200, 40];
export const BLUE: Rgb = [15, 30, 235];

export async function solidImage(
  rgb: Rgb,
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff' = 'png',
): Promise<Uint8Array> {
  const [r, g, b] = rgb;
  const image = sharp({ create: { width: 96, height: 64, channels: 3, background: { r, g, b } } });
  return new Uint8Array(await image.toFormat(format).toBuffer());
}

/** A real PNG whose header claims `width`×`height` (CRC fixed), as a decompression bomb would. */
export async function pngClaiming(width: number, height: number): Promise<Uint8Array> {
  const png = Buffer.from(await solidImage(RED, 'png'));
  // Signature (8) + length (4) + "IHDR" (4), then width and height, then the CRC over type + data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return new Uint8Array(png);
}

/** The start of an iPhone HEIC file: a `ftyp` box with HEIC brands (enough for the format check). */
export function heicHeader(): Uint8Array {
  const box = Buffer.alloc(24);
  box.writeUInt32BE(24, 0);
  box.write('ftypheic', 4, 'latin1');
  box.write('mif1heic', 16, 'latin1');
  return new Uint8Array(Buffer.concat([box, Buffer.alloc(64)]));
}
