/**
 * The image of a question, from a path, bytes or an http(s) URL, checked before any model sees it:
 * a size limit on the encoded bytes, the format from the first bytes (not the file name), a bound on
 * the pixel count read from the header (decompression bombs), then a full decode of a small
 * thumbnail so a truncated or corrupt file is refused here rather than half-read by a model.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { inCommonFormat } from '../../preprocess/image/convert-to-png.ts';
import type { ImageFormat } from '../../preprocess/image/probe.ts';
import { fetchImage } from './fetch-image.ts';
import { gifIsComplete } from './gif-complete.ts';

export type VqaImageInput = string | URL | Uint8Array;

/** An image that passed the checks, ready to send to a model. */
export interface VqaImage {
  bytes: Uint8Array;
  /** The path, URL or `image`, for messages. */
  name: string;
  format: ImageFormat;
  mediaType: `image/${ImageFormat}`;
  width: number;
  height: number;
}

export interface VqaImageLimits {
  /** Encoded size limit, for files and downloads. */
  maxBytes: number;
  /** Pixel-count limit (width × height), checked from the header before decoding. */
  maxPixels: number;
  /** How long a download may take in all. */
  fetchTimeoutMs: number;
}

export const DEFAULT_VQA_IMAGE_LIMITS: Readonly<VqaImageLimits> = {
  maxBytes: 20 * 1024 * 1024,
  // 50 megapixels: any camera photo or screenshot; decoding one takes ~150 MB, not gigabytes.
  maxPixels: 50_000_000,
  fetchTimeoutMs: 15_000,
};

export interface LoadVqaImageOptions extends Partial<VqaImageLimits> {
  signal?: AbortSignal;
}

export function isVqaImage(value: unknown): value is VqaImage {
  return typeof value === 'object' && value !== null && 'bytes' in value && 'format' in value && 'mediaType' in value;
}

export async function loadVqaImage(input: VqaImageInput, options: LoadVqaImageOptions = {}): Promise<VqaImage> {
  const limits: VqaImageLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_VQA_IMAGE_LIMITS.maxBytes,
    maxPixels: options.maxPixels ?? DEFAULT_VQA_IMAGE_LIMITS.maxPixels,
    fetchTimeoutMs: options.fetchTimeoutMs ?? DEFAULT_VQA_IMAGE_LIMITS.fetchTimeoutMs,
  };
  const { bytes, name } = await readImageBytes(input, limits, options.signal);
  return checkImageBytes(bytes, name, limits);
}

async function readImageBytes(
  input: VqaImageInput,
  limits: VqaImageLimits,
  signal: AbortSignal | undefined,
): Promise<{ bytes: Uint8Array; name: string }> {
  if (input instanceof Uint8Array) return { bytes: input, name: 'image' };
  if (input instanceof URL || /^https?:\/\//i.test(input)) {
    const url = input instanceof URL ? input : parseUrl(input);
    return {
      bytes: await fetchImage(url, { maxBytes: limits.maxBytes, timeoutMs: limits.fetchTimeoutMs, signal }),
      name: url.href,
    };
  }
  return { bytes: await readImageFile(input, limits.maxBytes), name: input };
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new MmkitError(`${text}: not a valid URL`, { code: 'image_url_invalid', param: 'image' });
  }
}

async function readImageFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const fail = (reason: string, code: string) => new MmkitError(`${path}: ${reason}`, { code, param: 'image' });
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw fail('not a file', 'image_unreadable');
    size = info.size;
  } catch (error) {
    if (error instanceof MmkitError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail('no such file', 'image_not_found');
    throw fail(`cannot read (${describeError(error)})`, 'image_unreadable');
  }
  if (size > maxBytes) throw fail(`${size} bytes, over the image limit of ${maxBytes} bytes`, 'image_too_large');
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw fail(`cannot read (${describeError(error)})`, 'image_unreadable');
  }
}

/** The checks on encoded bytes, in order of cost. */
export async function checkImageBytes(bytes: Uint8Array, name: string, limits: VqaImageLimits): Promise<VqaImage> {
  if (bytes.length === 0) {
    throw new MmkitError(`${name}: empty, not an image`, { code: 'image_unreadable', param: 'image' });
  }
  if (bytes.length > limits.maxBytes) {
    throw new MmkitError(`${name}: ${bytes.length} bytes, over the image limit of ${limits.maxBytes} bytes`, {
      code: 'image_too_large',
      param: 'image',
    });
  }
  // AVIF and TIFF become PNG; other formats are refused, and decompression bombs before decoding.
  const image = await inCommonFormat(bytes, { name, maxPixels: limits.maxPixels });
  if (!image.converted) await checkDecodes(image.bytes, name, image.format, limits.maxPixels);
  const { format, width, height } = image;
  return { bytes: image.bytes, name, format, mediaType: `image/${format}`, width, height };
}

async function checkDecodes(bytes: Uint8Array, name: string, format: ImageFormat, maxPixels: number): Promise<void> {
  const truncated = (detail: string) =>
    new MmkitError(`${name}: the ${format.toUpperCase()} image is truncated or corrupt (${detail})`, {
      code: 'image_truncated',
      param: 'image',
    });
  // libvips reads a GIF cut short without complaint.
  if (format === 'gif' && !gifIsComplete(bytes)) throw truncated('it ends before the GIF trailer');
  try {
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels })
      .resize(64, 64, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (error) {
    throw truncated(describeError(error));
  }
}
