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
