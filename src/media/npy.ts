/**
 * NumPy `.npy` (format 1.0) writing and reading, so arrays from `--out X.npy` open in any Python
 * tool with `numpy.load`. Little-endian float32 and int64, C order.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeError, MmkitError } from '../errors.ts';

export type NpyDtype = 'float32' | 'int64';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const DESCR: Record<NpyDtype, string> = { float32: '<f4', int64: '<i8' };

export function encodeNpyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Header length (magic 6 + version 2 + length 2 + dict + newline) is padded to a multiple of 64.
  const unpadded = 10 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const header = `${dict}${' '.repeat(padding)}\n`;
  const out = Buffer.alloc(10 + header.length);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  return out;
}

export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new Error(`npy: shape ${array.shape.join('x')} holds ${count} values, data has ${array.data.length}`);
  }
  const header = encodeNpyHeader(array.dtype, array.shape);
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([header, body]);
}

export function decodeNpy(bytes: Uint8Array): NpyArray {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 10 || !buffer.subarray(0, 6).equals(MAGIC)) throw new Error('npy: not a .npy file');
  const major = buffer[6];
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buffer.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  if (/'fortran_order':\s*True/.test(header)) throw new Error('npy: Fortran order is not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const offset = headerStart + headerLength;
  const body = buffer.subarray(offset);
  // Copy so the typed array is aligned whatever the header length was.
  const aligned = new Uint8Array(body.length);
  aligned.set(body);
  if (descr === '<f4') return { dtype: 'float32', shape, data: new Float32Array(aligned.buffer) };
  if (descr === '<i8') return { dtype: 'int64', shape, data: new BigInt64Array(aligned.buffer) };
  throw new Error(`npy: unsupported dtype ${descr}`);
}

/** Write atomically: a temporary file beside the target, renamed into place only when complete. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.partial`);
  const handle = await open(temporary, 'w').catch((error: NodeJS.ErrnoException) => {
    throw new MmkitError(`cannot write ${path}: ${describeWriteError(error, dirname(path))}`, {
      code: 'output_unwritable',
      param: 'out',
      cause: error,
    });
  });
  try {
    await handle.writeFile(encodeNpy(array));
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temporary, { force: true });
    throw new MmkitError(`cannot write ${path}: ${describeWriteError(error as NodeJS.ErrnoException, dirname(path))}`, {
      code: 'output_unwritable',
      param: 'out',
      cause: error,
    });
  }
}

function describeWriteError(error: NodeJS.ErrnoException, folder: string): string {
  switch (error.code) {
    case 'ENOENT':
      return `folder ${folder} does not exist`;
    case 'ENOTDIR':
      return `${folder} is not a folder`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${folder}`;
    case 'ENOSPC':
      return 'the disk is full';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return describeError(error);
  }
}
