import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.ts';

describe('float16', () => {
  it('encodes known values to their IEEE half bits', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('rounds halfway cases to even', () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('decodes every finite half exactly and round-trips it', () => {
    const bits = Uint16Array.from({ length: 0x7c00 }, (_, index) => index);
    const values = float16ToFloat32(bits);
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(0.33325, 5);
    expect(Array.from(float32ToFloat16(values))).toEqual(Array.from(bits));
  });
});
