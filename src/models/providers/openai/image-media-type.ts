/**
 * The media type of encoded image bytes, from their magic numbers: what goes into the `data:` URL
 * of an `image_url` part. Servers decode by this type, so the bytes decide, not a caller's guess.
 */

export type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/bmp';

export function sniffImageMediaType(bytes: Uint8Array): ImageMediaType | undefined {
  const startsWith = (offset: number, signature: number[]) =>
    bytes.length >= offset + signature.length && signature.every((value, index) => bytes[offset + index] === value);
  if (startsWith(0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(0, [0x47, 0x49, 0x46, 0x38]) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) {
    return 'image/gif';
  }
  if (startsWith(0, [0x52, 0x49, 0x46, 0x46]) && startsWith(8, [0x57, 0x45, 0x42, 0x50])) return 'image/webp';
  if (startsWith(0, [0x42, 0x4d]) && bytes.length >= 26) return 'image/bmp';
  return undefined;
}
