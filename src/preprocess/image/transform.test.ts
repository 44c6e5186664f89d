import { describe, expect, it } from 'vitest';
import { clipImageConfig } from './config.ts';
import { resizeCropRgb } from './resample.ts';
import { centerCropOffset, resizedSize, transformRgb } from './transform.ts';

describe("torchvision's geometry", () => {
  it('resizes the short side and truncates the long one: int(size × long / short)', () => {
    expect(resizedSize(1024, 768, { shortestEdge: 224 })).toEqual({ width: 298, height: 224 });
    expect(resizedSize(300, 451, { shortestEdge: 224 })).toEqual({ width: 224, height: 336 });
    // 224 × 451 / 300 = 336.75: truncated, not rounded.
    expect(resizedSize(451, 300, { shortestEdge: 224 })).toEqual({ width: 336, height: 224 });
    expect(resizedSize(640, 427, { height: 224, width: 224 })).toEqual({ width: 224, height: 224 });
  });

  it("centres the crop with Python's round-half-even, and pads small images before it", () => {
    expect(centerCropOffset(298, 224)).toBe(37);
    // (225 − 224) / 2 = 0.5 → 0; (227 − 224) / 2 = 1.5 → 2; (229 − 224) / 2 = 2.5 → 2.
    expect(centerCropOffset(225, 224)).toBe(0);
    expect(centerCropOffset(227, 224)).toBe(2);
    expect(centerCropOffset(229, 224)).toBe(2);
    // torchvision pads (224 − 221) // 2 = 1 before: offset −1, not round(−1.5) = −2.
    expect(centerCropOffset(221, 224)).toBe(-1);
  });

  it('fills crop areas outside the image with black', () => {
    const image = { data: new Uint8Array(2 * 2 * 3).fill(200), width: 2, height: 2 };
    const out = resizeCropRgb(image, 2, 2, 'bicubic', { left: -1, top: -1, width: 4, height: 4 });
    const row = (y: number) => Array.from(out.data.subarray(y * 12, y * 12 + 12));
    expect(row(0)).toEqual(new Array(12).fill(0));
    expect(row(1)).toEqual([0, 0, 0, 200, 200, 200, 200, 200, 200, 0, 0, 0]);
  });
});

describe('transformRgb', () => {
  it('writes planar CHW with CLIP normalisation', () => {
    // 1×1 image, red 255, green 0, blue 128, kept at 1×1.
    const image = { data: new Uint8Array([255, 0, 128]), width: 1, height: 1 };
    const tensor = transformRgb(image, { ...clipImageConfig(1) });
    expect(tensor.shape).toEqual([3, 1, 1]);
    expect(tensor.data[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 5);
    expect(tensor.data[1]).toBeCloseTo((0 - 0.4578275) / 0.26130258, 5);
    expect(tensor.data[2]).toBeCloseTo((128 / 255 - 0.40821073) / 0.27577711, 5);
  });

  it('keeps a flat colour flat through every filter (weights sum to one)', () => {
    const image = { data: new Uint8Array(37 * 23 * 3), width: 37, height: 23 };
    for (let i = 0; i < image.data.length; i += 3) image.data.set([10, 128, 250], i);
    for (const resample of ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming'] as const) {
      for (const size of [8, 64]) {
        const tensor = transformRgb(image, {
          resize: { shortestEdge: size },
          resample,
          crop: { height: size, width: size },
        });
        const plane = size * size;
        expect(new Set(tensor.data.subarray(0, plane))).toEqual(new Set([10]));
        expect(new Set(tensor.data.subarray(plane, 2 * plane))).toEqual(new Set([128]));
        expect(new Set(tensor.data.subarray(2 * plane))).toEqual(new Set([250]));
      }
    }
  });
});
