/**
 * The picture image to image starts from: decoded as the preprocessing does (EXIF orientation,
 * RGB), then brought to the size the model will paint. A requested size is filled edge to edge
 * (scaled to cover it, centred, the overflow cropped: no stretching); without one, the picture keeps
 * its aspect ratio at about the model's usual pixel count (512 × 512 for SD 1.x, 1024 × 1024 for XL),
 * in multiples of 8, so a phone photo is neither run at full size nor squeezed into a square.
 * An inpainting mask is OpenAI's: a picture of the same size whose transparent pixels (alpha 0) are
 * repainted; it is brought to the model's size the same way.
 */
import sharp, { type OutputInfo } from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
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
  /** Inpainting: the mask picture, the same size as the picture. */
  mask?: { bytes: Uint8Array; name: string } | undefined;
}

export interface StartImage {
  image: InputImage;
  /** One value per pixel of `image`, 255 where it is repainted. */
  mask?: Uint8Array;
}

/** Before any decoding: a mask or a strength needs a picture, and a strength is above 0 and at most 1. */
export function checkStartOptions(options: { image?: unknown; mask?: unknown; strength?: number | undefined }): void {
  const invalid = (message: string, param: string) => new MmkitError(message, { code: 'invalid_parameter', param });
  if (options.mask && !options.image) throw invalid('a mask is for inpainting: give the image it applies to', 'mask');
  const { strength } = options;
  if (strength === undefined) return;
  if (!options.image) throw invalid('strength is for image to image: give an image to start from', 'strength');
  if (!(strength > 0 && strength <= 1)) {
    throw invalid(`strength must be a number above 0 and at most 1, got ${strength}`, 'strength');
  }
}

export async function loadStartImage(bytes: Uint8Array, options: StartImageOptions): Promise<StartImage> {
  const decoded = await decodeRgb(bytes, {
    name: options.name,
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
  });
  const sized = options.width !== undefined || options.height !== undefined;
  const { width, height } = sized
    ? { width: options.width ?? options.usualWidth, height: options.height ?? options.usualHeight }
    : sizeAtArea(decoded.width, decoded.height, options.usualWidth * options.usualHeight);
  const pixels = await fitted(decoded.data, decoded.width, decoded.height, 3, width, height);
  const image = { width, height, pixels };
  if (!options.mask) return { image };
  const alpha = await maskAlpha(options.mask, decoded.width, decoded.height, options.maxPixels);
  const kept = await fitted(alpha, decoded.width, decoded.height, 1, width, height);
  const mask = kept.map((value) => 255 - value);
  if (!mask.some((value) => value > 0)) {
    throw new MmkitError(`${options.mask.name}: the mask has no transparent pixels, so nothing would be repainted`, {
      code: 'invalid_parameter',
      param: 'mask',
    });
  }
  return { image, mask };
}

/** Raw pixels scaled to cover `width` × `height` and centre-cropped (as they are when the size matches). */
async function fitted(
  data: Uint8Array | Uint8ClampedArray,
  sourceWidth: number,
  sourceHeight: number,
  channels: 1 | 3,
  width: number,
  height: number,
): Promise<Uint8Array> {
  if (sourceWidth === width && sourceHeight === height)
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  let resizing = sharp(data, { raw: { width: sourceWidth, height: sourceHeight, channels } }).resize(width, height, {
    fit: 'cover',
    position: 'centre',
    kernel: 'lanczos3',
  });
  // One channel in, one out (sharp would hand back an RGB picture).
  if (channels === 1) resizing = resizing.extractChannel(0);
  const resized = await resizing.raw().toBuffer();
  return new Uint8Array(resized.buffer, resized.byteOffset, resized.length);
}

/** The mask picture's alpha channel (opaque where there is none), which must match the picture's size. */
async function maskAlpha(
  mask: { bytes: Uint8Array; name: string },
  width: number,
  height: number,
  maxPixels: number | undefined,
): Promise<Uint8Array> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(mask.bytes, {
      autoOrient: true,
      failOn: 'truncated',
      limitInputPixels: maxPixels ?? 40_000_000,
    })
      .ensureAlpha()
      .extractChannel(3)
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new MmkitError(`${mask.name}: cannot decode the mask (${describeError(error)})`, {
      code: 'image_unreadable',
      param: 'mask',
      cause: error,
    });
  }
  if (decoded.info.width !== width || decoded.info.height !== height) {
    throw new MmkitError(
      `${mask.name}: the mask is ${decoded.info.width}×${decoded.info.height}; it must be the picture's size, ${width}×${height}`,
      { code: 'invalid_parameter', param: 'mask' },
    );
  }
  return new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
}

/** The picture's aspect ratio at about `area` pixels, each side a multiple of 8 within the model's limits. */
export function sizeAtArea(width: number, height: number, area: number): { width: number; height: number } {
  const scale = Math.sqrt(area / (width * height));
  const side = (value: number) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round((value * scale) / 8) * 8));
  return { width: side(width), height: side(height) };
}
