/**
 * Decode an image file or bytes to 8-bit RGB with the semantics of PIL's `ImageOps.exif_transpose`
 * then `convert("RGB")`, which Hugging Face processors and CLIP's training pipeline use:
 * EXIF orientation applied, alpha dropped (not composited), palette indices mapped to their colours
 * (transparent ones too), grey replicated to three channels, 16-bit samples reduced to their high
 * byte, and embedded ICC profiles ignored (PIL does not apply them).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type OutputInfo } from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { DEFAULT_MAX_PIXELS, probeImage, sniffImageFormat } from './probe.ts';
import type { RgbImage } from './resample.ts';

export interface DecodeOptions {
  /** Name used in error messages; defaults to the path, or "image" for bytes. */
  name?: string;
  maxPixels?: number;
}

/** Read a file into memory with one-line errors that name it. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not an image' : describeError(error);
    throw new MmkitError(`${path}: ${reason}`, {
      code: code === 'ENOENT' ? 'file_not_found' : 'image_unreadable',
      param: path,
      cause: error,
    });
  }
  return bytes;
}

export async function decodeRgb(input: string | Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const name = options.name ?? (typeof input === 'string' ? input : 'image');
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  if (bytes.length === 0) {
    throw new MmkitError(`${name}: empty file (0 bytes), not an image`, { code: 'image_unreadable', param: name });
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  // sharp refuses images over the pixel bound from their header, before decoding any pixel. The
  // probe (a second header read) runs only to explain a failure or an unsupported format.
  if (!sniffImageFormat(bytes)) await probeImage(bytes, { name, maxPixels });
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, {
      limitInputPixels: maxPixels,
      autoOrient: true,
      ignoreIcc: true,
      failOn: 'truncated',
      pages: 1,
    })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    await probeImage(bytes, { name, maxPixels });
    throw new MmkitError(`${name}: cannot decode image (${describeError(error)})`, {
      code: 'image_unreadable',
      param: name,
      cause: error,
    });
  }
  const { data, info } = decoded;
  if (info.channels !== 3) {
    throw new MmkitError(`${name}: decoded to ${info.channels} channels, expected RGB`, {
      code: 'image_unsupported',
      param: name,
    });
  }
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
