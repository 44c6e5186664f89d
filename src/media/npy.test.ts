import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, encodeNpyHeader, writeNpy } from './npy.ts';

describe('npy', () => {
  it('writes the header NumPy writes (pinned from numpy.save)', () => {
    const header = encodeNpyHeader('float32', [2, 3]).toString('latin1');
    const expected = `\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }${' '.repeat(58)}\n`;
    expect(header).toBe(expected);
    expect(encodeNpyHeader('int64', [5]).toString('latin1')).toContain("'shape': (5,), }");
    expect(encodeNpyHeader('int64', [5]).length % 64).toBe(0);
  });

  it('round-trips float32 and int64 arrays', () => {
    const floats = { dtype: 'float32' as const, shape: [2, 2], data: new Float32Array([1.5, -2, 3.25, 0]) };
    const decoded = decodeNpy(encodeNpy(floats));
    expect(decoded.shape).toEqual([2, 2]);
    expect(Array.from(decoded.data as Float32Array)).toEqual([1.5, -2, 3.25, 0]);
    const ints = { dtype: 'int64' as const, shape: [3], data: new BigInt64Array([49406n, 320n, 49407n]) };
    expect(Array.from(decodeNpy(encodeNpy(ints)).data as BigInt64Array)).toEqual([49406n, 320n, 49407n]);
  });

  it('refuses data that does not fill the shape', () => {
    expect(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) })).toThrow(/holds 3 values/);
  });

  it('writes atomically and leaves no partial file behind', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mmkit-npy-'));
    const target = join(folder, 'out.npy');
    await writeNpy(target, { dtype: 'float32', shape: [1], data: new Float32Array([7]) });
    expect(await readdir(folder)).toEqual(['out.npy']);
    expect(decodeNpy(await readFile(target)).data[0]).toBe(7);
  });
});

describe('writeNpy errors', () => {
  it('says which folder is missing instead of failing inside Node', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'mmkit-npy-'));
    const target = join(folder, 'missing', 'out.npy');
    await expect(writeNpy(target, { dtype: 'float32', shape: [1], data: new Float32Array([1]) })).rejects.toThrow(
      `cannot write ${target}: folder ${join(folder, 'missing')} does not exist`,
    );
  });
});
