/**
 * BMP, the Windows bitmap (Paint's format, some scanners and screenshot tools). The libvips inside
 * sharp has no BMP reader, and the npm decoders read the pixels from wherever the header ends
 * instead of from the offset the file gives (wrong for writers that leave a gap) and allocate
 * whatever size the header claims. So it is read here: the core and info headers up to V5, 1-, 4-
 * and 8-bit palettes, RLE8 and RLE4, 16 and 32 bits with or without bit masks, 24 bits, bottom-up
 * and top-down. The size is checked against the pixel bound before anything is allocated; a file
 * that ends early is refused. Alpha is kept only where the file has an alpha mask and uses it (many
 * writers leave a 32-bit file's fourth byte at 0 for opaque pixels).
 */
import { MmkitError } from '../../errors.ts';

export interface BmpHeader {
  width: number;
  height: number;
  /** Rows stored top row first (a negative height in the file). */
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  pixelOffset: number;
  /** Red, green, blue and alpha masks for 16 and 32 bits (alpha 0: none). */
  masks: [number, number, number, number];
  /** RGB entries for up to 8 bits. */
  palette: Uint8Array;
}

const RGB = 0;
const RLE8 = 1;
const RLE4 = 2;
const BITFIELDS = 3;
const ALPHA_BITFIELDS = 6;
const CORE_HEADER = 12;
const INFO_HEADER = 40;
const HEADER_SIZES = new Set([CORE_HEADER, 16, 64, INFO_HEADER, 52, 56, 108, 124]);

function unreadable(name: string, reason: string): MmkitError {
  return new MmkitError(`${name}: cannot read the BMP image (${reason})`, { code: 'image_unreadable', param: name });
}

/** Whether the bytes start like a BMP file: `BM` and a known info header size. */
export function looksLikeBmp(bytes: Uint8Array): boolean {
  if (bytes.length < 18 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) return false;
  return HEADER_SIZES.has(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(14, true));
}

/** The headers and palette, without touching the pixels. */
export function readBmpHeader(bytes: Uint8Array, name: string): BmpHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!looksLikeBmp(bytes)) throw unreadable(name, 'not a BMP file');
  const headerSize = view.getUint32(14, true);
  if (bytes.length < 14 + Math.min(headerSize, INFO_HEADER)) throw unreadable(name, 'the header is cut off');
  const core = headerSize === CORE_HEADER;
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const storedHeight = core ? view.getUint16(20, true) : view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(core ? 24 : 28, true);
  const compression = core ? RGB : view.getUint32(30, true);
  const colorsUsed = core ? 0 : view.getUint32(46, true);
  if (width < 1 || storedHeight === 0 || storedHeight === -(2 ** 31)) throw unreadable(name, 'it has no pixels');
  const allowed: Record<number, number[]> = {
    [RGB]: [1, 4, 8, 16, 24, 32],
    [RLE8]: [8],
    [RLE4]: [4],
    [BITFIELDS]: [16, 32],
    [ALPHA_BITFIELDS]: [16, 32],
  };
  if (!allowed[compression]?.includes(bitsPerPixel)) {
    const kind =
      compression === 4 ? 'embedded JPEG' : compression === 5 ? 'embedded PNG' : `compression ${compression}`;
    throw unreadable(name, `${kind} at ${bitsPerPixel} bits per pixel is not supported`);
  }
  // Bit-field masks: inside V2+ headers, else right after the 40-byte header (where they push the
  // palette on). Without a bit-field compression the defaults hold (no alpha), whatever V4/V5 say.
  let masks: [number, number, number, number] =
    bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
  let afterHeader = 14 + headerSize;
  if (compression === BITFIELDS || compression === ALPHA_BITFIELDS) {
    const maskCount = headerSize >= 56 || compression === ALPHA_BITFIELDS ? 4 : 3;
    const start = headerSize >= 52 ? 54 : afterHeader;
    if (bytes.length < start + 4 * maskCount) throw unreadable(name, 'the colour masks are cut off');
    masks = [0, 1, 2, 3].map((index) => (index < maskCount ? view.getUint32(start + 4 * index, true) : 0)) as [
      number,
      number,
      number,
      number,
    ];
    if (headerSize < 52) afterHeader += 4 * maskCount;
  }
  let palette = new Uint8Array(0);
  if (bitsPerPixel <= 8) {
    const entrySize = core ? 3 : 4;
    // Core headers have no count: the palette fills the room before the pixels (at most 2^bits).
    const room = Math.floor((view.getUint32(10, true) - afterHeader) / entrySize);
    const entries = Math.min(
      colorsUsed > 0 && colorsUsed <= 2 ** bitsPerPixel ? colorsUsed : 2 ** bitsPerPixel,
      room > 0 ? room : 2 ** bitsPerPixel,
    );
    palette = new Uint8Array(3 * 2 ** bitsPerPixel);
    for (let index = 0; index < entries; index++) {
      const at = afterHeader + index * entrySize;
      if (at + 3 > bytes.length) throw unreadable(name, 'the palette is cut off');
      palette[3 * index] = bytes[at + 2]!;
      palette[3 * index + 1] = bytes[at + 1]!;
      palette[3 * index + 2] = bytes[at]!;
    }
  }
  return {
    width,
    height: Math.abs(storedHeight),
    topDown: storedHeight < 0,
    bitsPerPixel,
    compression,
    pixelOffset: view.getUint32(10, true),
    masks,
    palette,
  };
}

/** One mask's value scaled to 0–255. */
function maskReader(mask: number): (value: number) => number {
  if (mask === 0) return () => 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const maximum = mask >>> shift;
  return (value) => Math.round((((value & mask) >>> shift) * 255) / maximum);
}

/** 8-bit RGBA, row by row from the top, of a BMP whose pixel count is at most `maxPixels`. */
export function decodeBmp(
  bytes: Uint8Array,
  options: { name: string; maxPixels: number },
): { rgba: Uint8Array; width: number; height: number } {
  const { name } = options;
  const header = readBmpHeader(bytes, name);
  const { width, height, bitsPerPixel, palette } = header;
  if (width * height > options.maxPixels) {
    throw new MmkitError(
      `${name}: ${width}×${height} is ${width * height} pixels, over the limit of ${options.maxPixels}`,
      { code: 'image_too_large', param: name },
    );
  }
  const rgba = new Uint8Array(width * height * 4);
  const setIndex = (x: number, row: number, index: number) => {
    const at = (row * width + x) * 4;
    rgba[at] = palette[3 * index]!;
    rgba[at + 1] = palette[3 * index + 1]!;
    rgba[at + 2] = palette[3 * index + 2]!;
    rgba[at + 3] = 255;
  };
  // The row a stored line lands on: bottom-up unless the height was negative.
  const rowOf = (line: number) => (header.topDown ? line : height - 1 - line);
  if (header.compression === RLE8 || header.compression === RLE4) {
    for (let row = 0; row < height; row++) for (let x = 0; x < width; x++) setIndex(x, row, 0);
    readRunLengths(bytes, header, name, (x, line, index) => setIndex(x, rowOf(line), index));
    return { rgba, width, height };
  }
  const stride = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (header.pixelOffset + stride * (height - 1) + Math.ceil((width * bitsPerPixel) / 8) > bytes.length) {
    throw unreadable(name, `the pixels are cut off (${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [red, green, blue, alpha] = header.masks.map(maskReader) as [
    (value: number) => number,
    (value: number) => number,
    (value: number) => number,
    (value: number) => number,
  ];
  let anyAlpha = false;
  for (let line = 0; line < height; line++) {
    const start = header.pixelOffset + line * stride;
    const row = rowOf(line);
    for (let x = 0; x < width; x++) {
      if (bitsPerPixel <= 8) {
        const bit = x * bitsPerPixel;
        const byte = bytes[start + (bit >> 3)]!;
        setIndex(x, row, (byte >> (8 - bitsPerPixel - (bit & 7))) & ((1 << bitsPerPixel) - 1));
        continue;
      }
      const at = (row * width + x) * 4;
      if (bitsPerPixel === 24) {
        const source = start + 3 * x;
        rgba[at] = bytes[source + 2]!;
        rgba[at + 1] = bytes[source + 1]!;
        rgba[at + 2] = bytes[source]!;
        rgba[at + 3] = 255;
        continue;
      }
      const value = bitsPerPixel === 16 ? view.getUint16(start + 2 * x, true) : view.getUint32(start + 4 * x, true);
      rgba[at] = red(value);
      rgba[at + 1] = green(value);
      rgba[at + 2] = blue(value);
      rgba[at + 3] = alpha(value);
      if (header.masks[3] !== 0 && (value & header.masks[3]) !== 0) anyAlpha = true;
    }
  }
  // An alpha mask no pixel uses is a writer's opaque image.
  if (header.masks[3] !== 0 && !anyAlpha) for (let at = 3; at < rgba.length; at += 4) rgba[at] = 255;
  return { rgba, width, height };
}

/** RLE8/RLE4: runs, literal groups, line ends, deltas; pixels skipped stay at palette entry 0. */
function readRunLengths(
  bytes: Uint8Array,
  header: BmpHeader,
  name: string,
  put: (x: number, line: number, index: number) => void,
): void {
  const four = header.compression === RLE4;
  let at = header.pixelOffset;
  let x = 0;
  let line = 0;
  const next = () => {
    if (at >= bytes.length) throw unreadable(name, 'the run-length data is cut off');
    return bytes[at++]!;
  };
  const place = (index: number) => {
    if (x < header.width && line < header.height) put(x, line, index);
    x++;
  };
  while (line < header.height) {
    const count = next();
    const value = next();
    if (count > 0) {
      for (let index = 0; index < count; index++) place(four ? (index % 2 === 0 ? value >> 4 : value & 15) : value);
    } else if (value === 0) {
      x = 0;
      line++;
    } else if (value === 1) {
      return;
    } else if (value === 2) {
      x += next();
      line += next();
    } else {
      const stored = four ? Math.ceil(value / 2) : value;
      for (let index = 0; index < value; index++) {
        const byte = four ? bytes[at + (index >> 1)] : bytes[at + index];
        if (byte === undefined) throw unreadable(name, 'the run-length data is cut off');
        place(four ? (index % 2 === 0 ? byte >> 4 : byte & 15) : byte);
      }
      // Literal groups end on a 16-bit boundary.
      at += stored + (stored % 2);
    }
  }
}
