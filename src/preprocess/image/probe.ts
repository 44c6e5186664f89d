/**
 * Cheap checks that a file is an image we can decode, without decoding all of it: format, size and a
 * bound on the pixel count (decompression bombs). Used by the dataset layer on every row.
 */
import { open } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { looksLikeBmp, readBmpHeader } from './bmp.ts';

/** 100 megapixels: well above any camera photo, far below what would exhaust memory. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Formats every model, browser and upstream API takes: kept as they arrive. */
export const SUPPORTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif'] as const;
export type ImageFormat = (typeof SUPPORTED_IMAGE_FORMATS)[number];
/** Formats accepted on arrival and converted to PNG (`convert-to-png.ts`). */
export const CONVERTED_IMAGE_FORMATS = ['avif', 'tiff', 'heic', 'bmp'] as const;
export type ConvertedImageFormat = (typeof CONVERTED_IMAGE_FORMATS)[number];
/** How errors name what is accepted. */
export const ACCEPTED_IMAGE_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP';

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

/** AVIF, TIFF, HEIC or BMP from the first bytes (converted to PNG on arrival). */
export function sniffConvertedFormat(bytes: Uint8Array): ConvertedImageFormat | undefined {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (looksLikeBmp(bytes)) return 'bmp';
  if (bytes.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*')) return 'tiff';
  // ISO media: a `ftyp` box first, whose major and compatible brands say what the file holds.
  if (bytes.length >= 16 && ascii(4, 8) === 'ftyp') {
    const boxSize = Math.min(
      bytes[0]! * 2 ** 24 + bytes[1]! * 2 ** 16 + bytes[2]! * 2 ** 8 + bytes[3]!,
      bytes.length,
      64,
    );
    // The major brand, a version number, then the compatible brands.
    const brands = [ascii(8, 12)];
    for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(offset, offset + 4));
    if (brands.some((brand) => brand === 'avif' || brand === 'avis')) return 'avif';
    if (brands.some((brand) => ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'].includes(brand))) return 'heic';
  }
  return undefined;
}

export interface ImageProbe {
  format: ImageFormat | ConvertedImageFormat;
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
    // libvips has no BMP reader: the header is read here.
    const bytes = typeof input === 'string' ? await fileHead(input) : input;
    if (bytes && looksLikeBmp(bytes)) {
      const { width, height } = readBmpHeader(bytes, name);
      return checkedSize({ format: 'bmp', width, height }, name, maxPixels);
    }
    throw new MmkitError(`${name}: not a readable image (${describeError(error)})`, {
      code: 'image_unreadable',
      param: name,
      cause: error,
    });
  }
  // libvips calls AVIF and HEIC both `heif`, and reads the header of either (it decodes only AVIF).
  const format =
    metadata.format === 'heif'
      ? metadata.compression === 'av1'
        ? 'avif'
        : metadata.compression === 'hevc'
          ? 'heic'
          : undefined
      : metadata.format;
  const accepted: readonly string[] = [...SUPPORTED_IMAGE_FORMATS, ...CONVERTED_IMAGE_FORMATS];
  if (!format || !accepted.includes(format)) {
    throw new MmkitError(
      `${name}: unsupported image format '${format ?? 'unknown'}' (supported: ${ACCEPTED_IMAGE_FORMATS_TEXT})`,
      {
        code: 'image_unsupported',
        param: name,
      },
    );
  }
  return checkedSize(
    { format: format as ImageProbe['format'], width: metadata.width ?? 0, height: metadata.height ?? 0 },
    name,
    maxPixels,
  );
}

/** Headers, masks and the largest palette fit in this many bytes. */
const BMP_HEAD_BYTES = 2048;

/** The first bytes of a file (a BMP's headers), or undefined when it cannot be read. */
async function fileHead(path: string): Promise<Uint8Array | undefined> {
  const file = await open(path).catch(() => undefined);
  if (!file) return undefined;
  try {
    const { buffer, bytesRead } = await file.read(new Uint8Array(BMP_HEAD_BYTES), 0, BMP_HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await file.close();
  }
}

function checkedSize(probe: ImageProbe, name: string, maxPixels: number): ImageProbe {
  const { width, height } = probe;
  if (width < 1 || height < 1) {
    throw new MmkitError(`${name}: image has no pixels`, { code: 'image_unreadable', param: name });
  }
  if (width * height > maxPixels) {
    throw new MmkitError(`${name}: ${width}×${height} is ${width * height} pixels, over the limit of ${maxPixels}`, {
      code: 'image_too_large',
      param: name,
    });
  }
  return probe;
}
