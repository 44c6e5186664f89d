/**
 * An image a client sent, checked before any model sees it: the format from the magic bytes (the
 * declared type and file name are ignored), the pixel count against decompression bombs, and one
 * small decode so truncated or corrupt files are a 400 here rather than a failure deep in a model.
 * AVIF, TIFF and HEIC are converted to PNG here (`convert-to-png.ts`): what is stored and passed on is PNG.
 */
import sharp from 'sharp';
import { MmkitError } from '../../errors.ts';
import { inCommonFormat } from '../../preprocess/image/convert-to-png.ts';
import {
  ACCEPTED_IMAGE_FORMATS_TEXT,
  type ImageFormat,
  sniffConvertedFormat,
  sniffImageFormat,
} from '../../preprocess/image/probe.ts';
import { invalidRequest, unsupportedMediaType } from '../http-errors.ts';
import type { StoredExtension } from '../uploads/stored-names.ts';

export interface AcceptedImage {
  bytes: Uint8Array;
  format: ImageFormat;
  extension: StoredExtension;
  mediaType: string;
  width: number;
  height: number;
}

export interface AcceptImageOptions {
  maxPixels: number;
  /** The field at fault in errors: `image`, `messages.0.content.1.image_url`. */
  param: string;
  /** 415 for an uploaded file (its content type is wrong), 400 for an image inside JSON. */
  unknownFormatStatus: 400 | 415;
}

const EXTENSIONS: Record<ImageFormat, StoredExtension> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif' };

export async function acceptImage(received: Uint8Array, options: AcceptImageOptions): Promise<AcceptedImage> {
  const { param } = options;
  if (received.length === 0) throw invalidRequest(`${param}: the image is empty (0 bytes)`, param, 'image_empty');
  // Refused here rather than in `inCommonFormat`, in this route's words and status.
  const convertible = sniffImageFormat(received) === undefined ? sniffConvertedFormat(received) : 'common';
  if (convertible === undefined) {
    const message = `${param}: not a ${ACCEPTED_IMAGE_FORMATS_TEXT} image (judged by its content, not its name or declared type)`;
    if (options.unknownFormatStatus === 415) throw unsupportedMediaType(message, param);
    throw invalidRequest(message, param, 'image_unsupported');
  }
  const image = await inCommonFormat(received, { name: param, maxPixels: options.maxPixels });
  const { bytes, format } = image;
  // A converted image was decoded whole already; the others get one small decode.
  if (!image.converted) {
    try {
      await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'truncated' })
        .resize(16, 16, { fit: 'inside' })
        .raw()
        .toBuffer();
    } catch (error) {
      throw new MmkitError(`${param}: the ${format.toUpperCase()} image is truncated or corrupt`, {
        code: 'image_unreadable',
        param,
        cause: error,
      });
    }
  }
  return {
    bytes,
    format,
    extension: EXTENSIONS[format],
    mediaType: `image/${format}`,
    width: image.width,
    height: image.height,
  };
}
