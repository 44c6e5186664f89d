/**
 * PNG text chunks (PNG spec §11.3.4): write provenance into a PNG and read it back. Latin-1 values
 * go into `tEXt`; anything else (a Chinese prompt) into `iTXt`, UTF-8, uncompressed. New chunks go
 * right after `IHDR`, so readers that stop early still see them. Reading also understands `zTXt`
 * and compressed `iTXt`.
 */
import { inflateSync } from 'node:zlib';
import { MmkitError } from '../errors.ts';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309), as PNG computes it over chunk type + data. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++) crc = CRC_TABLE[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Uint8Array;
  /** Offset of the chunk's length field and the offset just past its CRC. */
  start: number;
  end: number;
}

function notPng(reason: string): never {
  throw new MmkitError(`not a valid PNG: ${reason}`, { code: 'image_unreadable' });
}

function chunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || SIGNATURE.some((byte, index) => png[index] !== byte)) notPng('bad signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const result: Chunk[] = [];
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > png.length) notPng('truncated chunk');
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    result.push({ type, data: png.subarray(offset + 8, offset + 8 + length), start: offset, end });
    offset = end;
    if (type === 'IEND') break;
  }
  if (result[0]?.type !== 'IHDR') notPng('IHDR is not the first chunk');
  return result;
}

function encodeChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  for (let index = 0; index < 4; index++) chunk[4 + index] = type.charCodeAt(index);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/** tEXt holds Latin-1 without NUL. */
function isLatin1(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0 || code > 0xff) return false;
  }
  return true;
}

function textChunk(keyword: string, value: string): Uint8Array {
  if (!/^[\u0020-\u007e\u00a1-\u00ff]{1,79}$/.test(keyword) || keyword !== keyword.trim() || keyword.includes('  ')) {
    throw new RangeError(
      `PNG text keyword must be 1–79 Latin-1 characters without edge spaces: ${JSON.stringify(keyword)}`,
    );
  }
  const key = Buffer.from(keyword, 'latin1');
  if (isLatin1(value)) return encodeChunk('tEXt', Buffer.concat([key, Buffer.from([0]), Buffer.from(value, 'latin1')]));
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text.
  return encodeChunk('iTXt', Buffer.concat([key, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]));
}

/** A copy of `png` with one text chunk per entry inserted after IHDR. */
export function addPngText(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  const [header] = chunks(png);
  const inserted = Object.entries(entries).map(([keyword, value]) => textChunk(keyword, value));
  return Buffer.concat([png.subarray(0, header.end), ...inserted, png.subarray(header.end)]);
}

function decodeText(chunk: Chunk): [string, string] | undefined {
  const separator = chunk.data.indexOf(0);
  if (separator < 1) return undefined;
  const keyword = Buffer.from(chunk.data.subarray(0, separator)).toString('latin1');
  const rest = chunk.data.subarray(separator + 1);
  if (chunk.type === 'tEXt') return [keyword, Buffer.from(rest).toString('latin1')];
  if (chunk.type === 'zTXt') return [keyword, inflateSync(rest.subarray(1)).toString('latin1')];
  const compressed = rest[0] === 1;
  const languageEnd = rest.indexOf(0, 2);
  const translatedEnd = rest.indexOf(0, languageEnd + 1);
  if (languageEnd < 0 || translatedEnd < 0) return undefined;
  const text = rest.subarray(translatedEnd + 1);
  return [keyword, (compressed ? inflateSync(text) : Buffer.from(text)).toString('utf8')];
}

/** Every tEXt / zTXt / iTXt entry of a PNG, keyword → text (a later duplicate wins). */
export function readPngText(png: Uint8Array): Record<string, string> {
  const result: Record<string, string> = {};
  for (const chunk of chunks(png)) {
    if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') continue;
    const entry = decodeText(chunk);
    if (entry) result[entry[0]] = entry[1];
  }
  return result;
}
