/**
 * AVIF, TIFF, HEIC and BMP images are accepted on arrival and turned into PNG there, so everything after
 * (the models' processors, OCR, stored uploads, OpenAI-compatible upstreams, which take JPEG, PNG,
 * WebP and GIF only) sees one of the common formats. PNG keeps every pixel and the alpha channel;
 * the EXIF/TIFF orientation is applied (HEIC: the container's rotation), and a multi-page TIFF or an
 * image sequence gives its first page.
 */
import sharp from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { decodeBmp } from './bmp.ts';
import { decodeHeic } from './heic.ts';
import {
  ACCEPTED_IMAGE_FORMATS_TEXT,
  type ConvertedImageFormat,
  type ImageFormat,
  probeImage,
  sniffConvertedFormat,
  sniffImageFormat,
} from './probe.ts';

export interface ConvertOptions {
  /** Names the image (and the field at fault) in errors. */
  name: string;
  maxPixels: number;
}

/** The format to convert from, or a one-line refusal naming what is accepted. */
function convertibleFormat(bytes: Uint8Array, name: string): ConvertedImageFormat {
  const format = sniffConvertedFormat(bytes);
  if (format === undefined) {
    throw new MmkitError(`${name}: not an image (expected ${ACCEPTED_IMAGE_FORMATS_TEXT})`, {
      code: 'image_unsupported',
      param: name,
    });
  }
  return format;
}

/** PNG bytes of an AVIF, TIFF, HEIC or BMP image whose pixel count the caller has already checked. */
async function convertToPng(
  bytes: Uint8Array,
  format: ConvertedImageFormat,
  options: ConvertOptions,
): Promise<Uint8Array> {
  if (format === 'heic' || format === 'bmp') {
    const { rgba, width, height } = format === 'heic' ? await decodeHeic(bytes, options) : decodeBmp(bytes, options);
    const png = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  }
  try {
    const png = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'truncated', pages: 1 })
      .autoOrient()
      .png()
      .toBuffer();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  } catch (error) {
    throw new MmkitError(
      `${options.name}: the ${format.toUpperCase()} image is truncated or corrupt (${describeError(error)})`,
      {
        code: 'image_unreadable',
        param: options.name,
        cause: error,
      },
    );
  }
}

export interface ArrivedImage {
  bytes: Uint8Array;
  format: ImageFormat;
  width: number;
  height: number;
  /** Whether `bytes` is a PNG made here (decoded whole, so it is not truncated). */
  converted: boolean;
}

/**
 * An arriving image in one of the common formats: as it came, or an AVIF, TIFF, HEIC or BMP turned into PNG.
 * The pixel count is checked from the header before anything is decoded; anything else is refused.
 */
export async function inCommonFormat(bytes: Uint8Array, options: ConvertOptions): Promise<ArrivedImage> {
  const format = sniffImageFormat(bytes);
  const convertFrom = format === undefined ? convertibleFormat(bytes, options.name) : undefined;
  const probe = await probeImage(bytes, options);
  if (format !== undefined) return { bytes, format, width: probe.width, height: probe.height, converted: false };
  const png = await convertToPng(bytes, convertFrom!, options);
  // Its orientation applied, the PNG may have width and height swapped.
  const turned = await probeImage(png, options);
  return { bytes: png, format: 'png', width: turned.width, height: turned.height, converted: true };
}
