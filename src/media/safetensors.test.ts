import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bfloat16ToNumber,
  encodeSafetensors,
  float16ToNumber,
  SafetensorsFile,
  writeSafetensors,
} from './safetensors.ts';

const folders: string[] = [];
function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'mmkit-safetensors-'));
  folders.push(path);
  return path;
}
afterEach(() => {
  for (const path of folders.splice(0)) rmSync(path, { recursive: true, force: true });
});

/** A file laid out by hand from the format's description, independent of our writer. */
function handMadeFile(): Buffer {
  const header = JSON.stringify({
    __metadata__: { format: 'pt' },
    half: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
    brain: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
    single: { dtype: 'F32', shape: [1, 2], data_offsets: [10, 18] },
  });
  const data = Buffer.alloc(18);
  [0x3c00, 0xc000, 0x3555].forEach((bits, i) => {
    data.writeUInt16LE(bits, 2 * i);
  }); // 1, -2, ~0.3333
  [0x3f80, 0x4049].forEach((bits, i) => {
    data.writeUInt16LE(bits, 6 + 2 * i);
  }); // 1, 3.140625
  data.writeFloatLE(0.5, 10);
  data.writeFloatLE(-7.25, 14);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, Buffer.from(header), data]);
}

describe('safetensors', () => {
  it('reads F16, BF16 and F32 tensors from a file laid out by hand', () => {
    const path = join(folder(), 'model.safetensors');
    writeFileSync(path, handMadeFile());
    const file = SafetensorsFile.open(path);
    expect([...file.entries.keys()].sort()).toEqual(['brain', 'half', 'single']);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.entries.get('single')?.shape).toEqual([1, 2]);
    expect([...file.float32('half')]).toEqual([1, -2, float16ToNumber(0x3555)]);
    expect(float16ToNumber(0x3555)).toBeCloseTo(1 / 3, 3);
    expect([...file.float32('brain')]).toEqual([1, 3.140625]);
    expect([...file.float32('single')]).toEqual([0.5, -7.25]);
    file.close();
  });

  it('decodes half-precision edge cases', () => {
    expect(float16ToNumber(0x0001)).toBe(2 ** -24);
    expect(float16ToNumber(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(float16ToNumber(0x7e00))).toBe(true);
    expect(bfloat16ToNumber(0xbf80)).toBe(-1);
  });

  it('round-trips what it writes, with an 8-byte aligned header', () => {
    const directory = folder();
    const path = join(directory, 'adapter.safetensors');
    const tensors = {
      'b.weight': { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      'a.weight': { shape: [3], data: Float32Array.of(-1, 0.25, 1e-8) },
    };
    writeSafetensors(path, tensors, { format: 'pt' });
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const file = SafetensorsFile.open(path);
    expect([...file.float32('a.weight')]).toEqual([...tensors['a.weight'].data]);
    expect([...file.float32('b.weight')]).toEqual([1, 2, 3, 4]);
    file.close();
    expect(readdirSync(directory)).toEqual(['adapter.safetensors']);
  });

  it('rejects truncated and corrupt files with a clear error', () => {
    const directory = folder();
    const truncated = join(directory, 'truncated.safetensors');
    writeFileSync(truncated, handMadeFile().subarray(0, 30));
    expect(() => SafetensorsFile.open(truncated)).toThrow(/truncated header/);
    const notJson = join(directory, 'garbage.safetensors');
    const garbage = Buffer.alloc(16);
    garbage.writeBigUInt64LE(8n);
    garbage.write('{{{{{{{{', 8);
    writeFileSync(notJson, garbage);
    expect(() => SafetensorsFile.open(notJson)).toThrow(/not JSON/);
    const shortData = join(directory, 'short.safetensors');
    writeFileSync(shortData, handMadeFile().subarray(0, handMadeFile().length - 4));
    const file = SafetensorsFile.open(shortData);
    expect(() => file.float32('single')).toThrow(/truncated/);
    expect(() => file.float32('missing')).toThrow(/no tensor named "missing"/);
    file.close();
    expect(() => SafetensorsFile.open(join(directory, 'absent.safetensors'))).toThrow(/cannot open/);
  });
});
