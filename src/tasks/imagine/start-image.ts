/**
 * The picture image to image starts from: decoded as the preprocessing does (EXIF orientation,
 * RGB), then brought to the size the model will paint. A requested size is filled edge to edge
 * (scaled to cover it, centred, the overflow cropped: no stretching); without one, the picture keeps
 * its aspect ratio at about the model's usual pixel count (512 × 512 for SD 1.x, 1024 × 1024 for XL),
 * in multiples of 8, so a phone photo is neither run at full size nor squeezed into a square.
 */
import sharp from 'sharp';
import type { InputImage } from '../../models/spec/image-generation-model.ts';
import { decodeRgb } from '../../preprocess/image/decode.ts';

const MIN_SIDE = 64;
const MAX_SIDE = 2048;

export interface StartImageOptions {
  /** Used in error messages. */
  name: string;
  width?: number | undefined;
  height?: number | undefined;
  /** The model's usual size, whose area an unsized picture is scaled to. */
  usualWidth: number;
  usualHeight: number;
  maxPixels?: number | undefined;
}

export async function loadStartImage(bytes: Uint8Array, options: StartImageOptions): Promise<InputImage> {
  const decoded = await decodeRgb(bytes, {
    name: options.name,
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
  });
  const sized = options.width !== undefined || options.height !== undefined;
  const { width, height } = sized
    ? { width: options.width ?? options.usualWidth, height: options.height ?? options.usualHeight }
    : sizeAtArea(decoded.width, decoded.height, options.usualWidth * options.usualHeight);
  if (decoded.width === width && decoded.height === height) {
    return { width, height, pixels: new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length) };
  }
  const pixels = await sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
    .resize(width, height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return { width, height, pixels: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length) };
}

/** The picture's aspect ratio at about `area` pixels, each side a multiple of 8 within the model's limits. */
export function sizeAtArea(width: number, height: number, area: number): { width: number; height: number } {
  const scale = Math.sqrt(area / (width * height));
  const side = (value: number) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round((value * scale) / 8) * 8));
  return { width: side(width), height: side(height) };
}
