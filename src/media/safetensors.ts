/**
 * The safetensors format (Hugging Face's weight files): an 8-byte little-endian header length, a
 * JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
 * Reading is lazy and synchronous (a model's weights can be gigabytes; training reads one tensor
 * at a time); writing is atomic (temp file + rename), so a killed run never leaves half a file.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeError, MmkitError } from '../errors.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range in the data section (after the header). */
  dataOffsets: [number, number];
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Headers over this size are not weight files (the format's reference implementation caps at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function unreadable(path: string, reason: string): MmkitError {
  return new MmkitError(`${path}: not a safetensors file (${reason})`, { code: 'safetensors_unreadable', param: path });
}

/** An open safetensors file: tensor names, shapes, and tensors read on demand as float32. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly descriptor: number,
    private readonly dataStart: number,
    readonly entries: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  static open(path: string): SafetensorsFile {
    let descriptor: number;
    try {
      descriptor = openSync(path, 'r');
    } catch (error) {
      throw new MmkitError(`${path}: cannot open (${describeError(error)})`, {
        code: 'safetensors_unreadable',
        param: path,
      });
    }
    try {
      const lengthBytes = Buffer.alloc(8);
      if (readSync(descriptor, lengthBytes, 0, 8, 0) !== 8) throw unreadable(path, 'shorter than its header');
      const headerLength = Number(lengthBytes.readBigUInt64LE(0));
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) throw unreadable(path, `header length ${headerLength}`);
      const headerBytes = Buffer.alloc(headerLength);
      if (readSync(descriptor, headerBytes, 0, headerLength, 8) !== headerLength) {
        throw unreadable(path, 'truncated header');
      }
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch {
        throw unreadable(path, 'header is not JSON');
      }
      const entries = new Map<string, SafetensorsEntry>();
      let metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(header)) {
        if (name === '__metadata__') {
          metadata = value as Record<string, string>;
          continue;
        }
        const entry = value as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
        const dtype = entry.dtype as SafetensorsDtype;
        if (!(dtype in BYTES_PER_ELEMENT) || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
          throw unreadable(path, `bad entry for "${name}"`);
        }
        const [begin, end] = entry.data_offsets;
        const count = entry.shape.reduce((product, dim) => product * dim, 1);
        if (end - begin !== count * BYTES_PER_ELEMENT[dtype])
          throw unreadable(path, `"${name}" has the wrong byte size`);
        entries.set(name, { dtype, shape: entry.shape, dataOffsets: [begin, end] });
      }
      return new SafetensorsFile(path, descriptor, 8 + headerLength, entries, metadata);
    } catch (error) {
      closeSync(descriptor);
      throw error;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The tensor's raw little-endian bytes. */
  bytes(name: string): Buffer {
    const entry = this.entry(name);
    const [begin, end] = entry.dataOffsets;
    const out = Buffer.alloc(end - begin);
    if (readSync(this.descriptor, out, 0, out.length, this.dataStart + begin) !== out.length) {
      throw unreadable(this.path, `"${name}" is truncated`);
    }
    return out;
  }

  /** A floating-point tensor widened to float32 (F32, F16, BF16, F64). */
  float32(name: string): Float32Array {
    const { dtype } = this.entry(name);
    const bytes = this.bytes(name);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = bytes.length / BYTES_PER_ELEMENT[dtype];
    const out = new Float32Array(count);
    if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'F64') for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'BF16') for (let i = 0; i < count; i++) out[i] = bfloat16ToNumber(view.getUint16(2 * i, true));
    else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(2 * i, true));
    else throw new MmkitError(`${this.path}: "${name}" is ${dtype}, not a float tensor`, { code: 'safetensors_dtype' });
    return out;
  }

  close(): void {
    closeSync(this.descriptor);
  }

  private entry(name: string): SafetensorsEntry {
    const entry = this.entries.get(name);
    if (!entry)
      throw new MmkitError(`${this.path}: no tensor named "${name}"`, { code: 'tensor_missing', param: name });
    return entry;
  }
}

export function bfloat16ToNumber(bits: number): number {
  const scratch = new Uint32Array([bits << 16]);
  return new Float32Array(scratch.buffer)[0];
}

export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

export interface Float32Tensor {
  shape: readonly number[];
  data: Float32Array;
}

/** Serialises float32 tensors (names sorted, header padded to 8 bytes as the reference writer does). */
export function encodeSafetensors(
  tensors: Readonly<Record<string, Float32Tensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors[name];
    const count = shape.reduce((product, dim) => product * dim, 1);
    if (count !== data.length)
      throw new Error(`safetensors: "${name}" has shape ${shape.join('x')} but ${data.length} values`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], position + 4 * i);
    position += 4 * data.length;
  }
  return out;
}

/** Writes the file atomically: nothing is left at `path` unless the whole file was written. */
export function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, Float32Tensor>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    writeFileSync(temporary, encodeSafetensors(tensors, metadata));
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new MmkitError(`cannot write ${path} (${describeError(error)})`, { code: 'write_failed', param: path });
  }
}
