/**
 * Whether a GIF holds all its blocks up to the trailer. libvips decodes a GIF cut short without an
 * error (it shows what arrived), so truncation is found by walking the block structure: header,
 * colour tables, extensions and images as chains of length-prefixed sub-blocks, then `;` (0x3B).
 */

/** Offset just past a chain of sub-blocks starting at `offset`, or -1 when the data ends first. */
function skipSubBlocks(bytes: Uint8Array, offset: number): number {
  while (offset < bytes.length) {
    const size = bytes[offset];
    offset += 1;
    if (size === 0) return offset;
    offset += size;
  }
  return -1;
}

/** Bytes of a colour table announced by a packed-fields byte, 0 when it has none. */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0;
}

export function gifIsComplete(bytes: Uint8Array): boolean {
  // Header (6) and logical screen descriptor (7), then the global colour table.
  let offset = 13;
  if (bytes.length < offset) return false;
  offset += colourTableBytes(bytes[10]);
  while (offset >= 0 && offset < bytes.length) {
    const introducer = bytes[offset];
    if (introducer === 0x3b) return true;
    if (introducer === 0x21) {
      // Extension: label, then sub-blocks.
      offset = skipSubBlocks(bytes, offset + 2);
    } else if (introducer === 0x2c) {
      // Image descriptor (10), local colour table, LZW minimum code size (1), then image data.
      if (offset + 10 > bytes.length) return false;
      offset += 10 + colourTableBytes(bytes[offset + 9]) + 1;
      offset = offset <= bytes.length ? skipSubBlocks(bytes, offset) : -1;
    } else {
      return false;
    }
  }
  return false;
}
