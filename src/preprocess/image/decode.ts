/**
 * Decode an image file or bytes to 8-bit RGB with the semantics of PIL's `ImageOps.exif_transpose`
 * then `convert("RGB")`, which Hugging Face processors and CLIP's training pipeline use:
 * EXIF orientation applied, alpha dropped (not composited), palette indices mapped to their colours
 * (transparent ones too), grey replicated to three channels, 16-bit samples reduced to their high
 * byte, CMYK converted with PIL's formula, and embedded ICC profiles ignored (PIL does not apply them).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { decodeBmp } from './bmp.ts';
import { type DecodedHeic, decodeHeic } from './heic.ts';
import { DEFAULT_MAX_PIXELS, probeImage, sniffConvertedFormat, sniffImageFormat } from './probe.ts';
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
  const format = sniffImageFormat(bytes);
  if (!format) await probeImage(bytes, { name, maxPixels });
  const converted = format ? undefined : sniffConvertedFormat(bytes);
  if (converted === 'heic') return withoutAlpha(await decodeHeic(bytes, { name, maxPixels }));
  if (converted === 'bmp') return withoutAlpha(decodeBmp(bytes, { name, maxPixels }));
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    const image = sharp(bytes, {
      limitInputPixels: maxPixels,
      autoOrient: true,
      ignoreIcc: true,
      failOn: 'truncated',
      pages: 1,
    });
    decoded =
      format === 'jpeg' && (await image.metadata()).space === 'cmyk'
        ? await cmykAsPil(image)
        : await image.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
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

/**
 * A CMYK JPEG the way PIL converts it: its stored ink values (libvips would go through a colour
 * profile, another colour: measured (26, 62, 139) where PIL gives (17, 62, 255) for one blue), then
 * each channel (255 − ink)·(255 − black)/255, rounded as PIL's MULDIV255.
 */
async function cmykAsPil(image: Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  const { data: inks, info } = await image
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  const data = Buffer.alloc(pixels * 3);
  const mulDiv255 = (a: number, b: number) => {
    const product = a * b + 128;
    return ((product >> 8) + product) >> 8;
  };
  for (let pixel = 0; pixel < pixels; pixel++) {
    const white = 255 - inks[pixel * 4 + 3]!;
    for (let channel = 0; channel < 3; channel++) {
      data[pixel * 3 + channel] = mulDiv255(255 - inks[pixel * 4 + channel]!, white);
    }
  }
  return { data, info: { ...info, channels: 3 } };
}

/** RGB of an RGBA image, its alpha dropped as `convert("RGB")` does. */
function withoutAlpha({ rgba, width, height }: DecodedHeic): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let pixel = 0, from = 0, to = 0; pixel < width * height; pixel++, from += 4, to += 3) {
    data[to] = rgba[from]!;
    data[to + 1] = rgba[from + 1]!;
    data[to + 2] = rgba[from + 2]!;
  }
  return { data, width, height };
}
