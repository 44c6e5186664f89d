/** Small encoded test images made with sharp. */
import sharp from 'sharp';

export type Rgb = readonly [number, number, number];
export const RED: Rgb = [230, 20, 25];
export const GREEN: Rgb = [20, 200, 40];
export const BLUE: Rgb = [15, 30, 235];

export async function solidImage(rgb: Rgb, format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png'): Promise<Uint8Array> {
  const [r, g, b] = rgb;
  const image = sharp({ create: { width: 96, height: 64, channels: 3, background: { r, g, b } } });
  return new Uint8Array(await image.toFormat(format).toBuffer());
}
