/**
 * Cheap checks that a file is an image we can decode, without decoding all of it: format, size and a
 * bound on the pixel count (decompression bombs). Used by the dataset layer on every row.
 */
import sharp, { type Metadata } from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';

/** 100 megapixels: well above any camera photo, far below what would exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif'] as const;
export type ImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];

/**
 * The format a file's first bytes announce, if it is one we support; a cheap check before decoding
 * (the full probe runs only to explain a failure).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (bytes.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

export interface ImageProbe {
  format: ImageFormat;
  width: number;
  height: number;
}

export async function probeImage(
  input: string | Uint8Array,
  options: { maxPixels?: number; name?: string } = {},
): Promise<ImageProbe> {
  const name = options.name ?? (typeof input === 'string' ? input : 'image');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new MmkitError(`${name}: not a readable image (${describeError(error)})`, {
      code: 'image_unreadable',
      param: name,
      cause: error,
    });
  }
  const format = metadata.format as string | undefined;
  if (!format || !(SUPPORTED_IMAGE_FORMATS as readonly string[]).includes(format)) {
    throw new MmkitError(
      `${name}: unsupported image format '${format ?? 'unknown'}' (supported: JPEG, PNG, WebP, GIF)`,
      {
        code: 'image_unsupported',
        param: name,
      },
    );
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width < 1 || height < 1) {
    throw new MmkitError(`${name}: image has no pixels`, { code: 'image_unreadable', param: name });
  }
  if (width * height > maxPixels) {
    throw new MmkitError(`${name}: ${width}×${height} is ${width * height} pixels, over the limit of ${maxPixels}`, {
      code: 'image_too_large',
      param: name,
    });
  }
  return { format: format as ImageFormat, width, height };
}
