/**
 * AVIF and TIFF images are accepted on arrival and turned into PNG there, so everything after (the
 * models' processors, OCR, stored uploads, OpenAI-compatible upstreams, which take JPEG, PNG, WebP
 * and GIF only) sees one of the common formats. PNG keeps every pixel and the alpha channel; the
 * EXIF/TIFF orientation is applied, and a multi-page TIFF or an image sequence gives its first page.
 * HEIC is refused in one line: libvips here has no HEVC decoder.
 */
import sharp from 'sharp';
import { describeError, MmkitError } from '../../errors.ts';
import { ACCEPTED_IMAGE_FORMATS_TEXT, type ConvertedImageFormat, HEIC_REFUSAL, sniffConvertedFormat } from './probe.ts';

export interface ConvertOptions {
  /** Names the image (and the field at fault) in errors. */
  name: string;
  maxPixels: number;
}

/** The format to convert from, or a one-line refusal naming what is accepted. */
export function convertibleFormat(bytes: Uint8Array, name: string): ConvertedImageFormat {
  const format = sniffConvertedFormat(bytes);
  if (format === 'heic') {
    throw new MmkitError(`${name}: ${HEIC_REFUSAL}`, {
      code: 'image_unsupported',
      param: name,
    });
  }
  if (format === undefined) {
    throw new MmkitError(`${name}: not an image (expected ${ACCEPTED_IMAGE_FORMATS_TEXT})`, {
      code: 'image_unsupported',
      param: name,
    });
  }
  return format;
}

/** PNG bytes of an AVIF or TIFF image whose pixel count the caller has already checked. */
export async function convertToPng(
  bytes: Uint8Array,
  format: ConvertedImageFormat,
  options: ConvertOptions,
): Promise<Uint8Array> {
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
