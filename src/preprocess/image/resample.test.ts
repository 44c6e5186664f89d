import { describe, expect, it } from 'vitest';
import type { ResampleFilter } from './filters.ts';
import { resizeCropRgb } from './resample.ts';
import { simdAvailable } from './simd-resample.ts';

/** Deterministic noise with hard edges, the worst case for clipping and rounding. */
function noiseImage(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = (state >>> 16) & 1 ? 255 : (state >>> 8) & 0xff;
  }
  return { data, width, height };
}

describe('resizeCropRgb', () => {
  it('has WebAssembly SIMD kernels on this Node', () => {
    expect(simdAvailable()).toBe(true);
  });

  const filters: ResampleFilter[] = ['lanczos', 'bilinear', 'bicubic', 'box', 'hamming'];
  it.each(filters)('%s: the SIMD kernels and the JavaScript passes agree byte for byte', (filter) => {
    const image = noiseImage(173, 97, filter.length);
    for (const [width, height] of [
      [61, 35],
      [300, 97],
      [173, 250],
      [17, 9],
    ]) {
      const crop = { left: 3, top: 1, width: width - 5, height: height - 2 };
      const simd = resizeCropRgb(image, width, height, filter, crop, { simd: true });
      const plain = resizeCropRgb(image, width, height, filter, crop, { simd: false });
      expect(simd.data.length).toBe(crop.width * crop.height * 3);
      expect(Buffer.from(simd.data).equals(Buffer.from(plain.data))).toBe(true);
    }
  });

  it('computes only the crop: same pixels as resizing fully and cutting out', () => {
    const image = noiseImage(90, 64, 7);
    const full = resizeCropRgb(image, 45, 40, 'bicubic');
    const part = resizeCropRgb(image, 45, 40, 'bicubic', { left: 10, top: 5, width: 20, height: 30 });
    for (let y = 0; y < 30; y++) {
      const from = ((y + 5) * 45 + 10) * 3;
      expect(Array.from(part.data.subarray(y * 60, y * 60 + 60))).toEqual(
        Array.from(full.data.subarray(from, from + 60)),
      );
    }
  });
});
