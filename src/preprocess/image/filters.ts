/**
 * The resampling filters Pillow offers, defined as Pillow documents them, keyed by the integer codes
 * that `preprocessor_config.json` files use for `resample` (PIL.Image.Resampling values).
 */

export type ResampleFilter = 'nearest' | 'lanczos' | 'bilinear' | 'bicubic' | 'box' | 'hamming';

/** PIL.Image.Resampling: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5. */
export const PIL_RESAMPLE_CODES: Record<number, ResampleFilter> = {
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'box',
  5: 'hamming',
};

export interface FilterKernel {
  /** Half-width of the kernel in source pixels at scale 1. */
  support: number;
  weight(x: number): number;
}

/** Keys's cubic convolution with a = −0.5, the value Pillow uses. */
const CUBIC_A = -0.5;

function sinc(x: number): number {
  if (x === 0) return 1;
  const scaled = x * Math.PI;
  return Math.sin(scaled) / scaled;
}

export const FILTER_KERNELS: Record<Exclude<ResampleFilter, 'nearest'>, FilterKernel> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const distance = Math.abs(x);
      return distance < 1 ? 1 - distance : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const distance = Math.abs(x);
      if (distance === 0) return 1;
      if (distance >= 1) return 0;
      const scaled = distance * Math.PI;
      return (Math.sin(scaled) / scaled) * (0.54 + 0.46 * Math.cos(scaled));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const distance = Math.abs(x);
      if (distance < 1) return ((CUBIC_A + 2) * distance - (CUBIC_A + 3)) * distance * distance + 1;
      if (distance < 2) return (((distance - 5) * distance + 8) * distance - 4) * CUBIC_A;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};
