/**
 * Image bytes as a Transformers.js `RawImage`, decoded by `decodeRgb` (PIL's `convert("RGB")`
 * semantics) rather than by `RawImage.fromBlob`: that one fails on grey-with-alpha PNGs ("unsupported
 * number of channels") and applies embedded colour profiles, which the Python processors the
 * models were trained with do not.
 */
import { RawImage } from '@huggingface/transformers';
import { MmkitError } from '../../errors.ts';
import { type DecodeOptions, decodeRgb } from './decode.ts';

/** `param` names the request field in errors (the image's name by default). */
export async function decodeRawImage(
  bytes: Uint8Array,
  options: DecodeOptions & { param?: string } = {},
): Promise<RawImage> {
  try {
    const { data, width, height } = await decodeRgb(bytes, options);
    return new RawImage(new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width, height, 3);
  } catch (error) {
    if (options.param === undefined || !(error instanceof MmkitError)) throw error;
    throw new MmkitError(error.message, { code: error.code, param: options.param, cause: error });
  }
}
