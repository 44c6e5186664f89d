/**
 * Pillow-compatible resizing of 8-bit RGB images, written from the published definition of Pillow's
 * convolution resampler so results match `PIL.Image.resize` (what CLIP and most processors were
 * trained with) rather than libvips or a GPU resize:
 *
 * - separable: a horizontal pass, rounded and clipped to uint8, then a vertical pass;
 * - antialiased: when shrinking, the kernel's support is widened by the scale factor;
 * - output pixel i samples around centre (i + 0.5) × scale; taps run from trunc(centre − support + 0.5)
 *   to trunc(centre + support + 0.5), clamped to the image; weights are normalised to sum to 1;
 * - weights are fixed-point with 22 fractional bits (rounded half away from zero), sums start at
 *   half a unit, and results are shifted back and clipped to 0..255;
 * - a pass whose size does not change is skipped; `nearest` picks trunc((i + 0.5) × scale).
 *
 * `resizeCropRgb` also fuses the centre crop in: only the output pixels that survive the crop are
 * computed, which is exact because every output pixel is computed independently.
 */
import { FILTER_KERNELS, type FilterKernel, type ResampleFilter } from './filters.ts';
import { horizontalPassSimd, verticalPassSimd } from './simd-resample.ts';

const PRECISION_BITS = 22;
const ROUNDING = 1 << (PRECISION_BITS - 1);

/** Interleaved 8-bit RGB. */
export interface RgbImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** The window, in resized coordinates, to keep. It may reach outside the resized image (zero fill). */
export interface CropWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Per-output-pixel taps along one axis, for output indices first..first+length−1. */
export interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
  stride: number;
}

function axisTaps(inSize: number, outSize: number, kernel: FilterKernel, first: number, length: number): AxisTaps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Int32Array(length * stride);
  const raw = new Float64Array(stride);
  const inverseScale = 1 / filterScale;
  for (let index = 0; index < length; index++) {
    const center = (first + index + 0.5) * scale;
    const low = Math.max(Math.trunc(center - support + 0.5), 0);
    const high = Math.min(Math.trunc(center + support + 0.5), inSize);
    const taps = high - low;
    let total = 0;
    for (let tap = 0; tap < taps; tap++) {
      const weight = kernel.weight((tap + low - center + 0.5) * inverseScale);
      raw[tap] = weight;
      total += weight;
    }
    const base = index * stride;
    for (let tap = 0; tap < taps; tap++) {
      const normalised = total === 0 ? raw[tap] : raw[tap] / total;
      const fixed = normalised * (1 << PRECISION_BITS);
      weights[base + tap] = fixed < 0 ? Math.trunc(fixed - 0.5) : Math.trunc(fixed + 0.5);
    }
    start[index] = low;
    count[index] = taps;
  }
  return { start, count, weights, stride };
}

/**
 * Rows [rowStart, rowEnd) of `source`, resampled horizontally to the columns `taps` describes. Two rows
 * at a time share each weight load. Sums use Math.imul and `| 0`: 32-bit integer arithmetic is exact
 * here (the final sums fit in 32 bits by construction, and wrapping is associative) and V8 keeps it
 * in integer registers.
 */
function horizontalPass(source: RgbImage, rowStart: number, rowEnd: number, taps: AxisTaps): Uint8ClampedArray {
  const { start, count, weights, stride } = taps;
  const columns = start.length;
  const data = source.data;
  const inLine = source.width * 3;
  const outLine = columns * 3;
  const out = new Uint8ClampedArray((rowEnd - rowStart) * outLine);
  for (let y = rowStart; y < rowEnd; y += 2) {
    const rowBase = y * inLine;
    // The second row of the pair; on an odd last row it repeats the first and is not stored.
    const pair = y + 1 < rowEnd;
    const next = pair ? inLine : 0;
    let o = (y - rowStart) * outLine;
    for (let x = 0; x < columns; x++) {
      let p = rowBase + start[x] * 3;
      let w = x * stride;
      const end = w + count[x];
      let red = ROUNDING;
      let green = ROUNDING;
      let blue = ROUNDING;
      let red2 = ROUNDING;
      let green2 = ROUNDING;
      let blue2 = ROUNDING;
      for (; w < end; w++, p += 3) {
        const weight = weights[w];
        const q = p + next;
        red = (red + Math.imul(data[p], weight)) | 0;
        green = (green + Math.imul(data[p + 1], weight)) | 0;
        blue = (blue + Math.imul(data[p + 2], weight)) | 0;
        red2 = (red2 + Math.imul(data[q], weight)) | 0;
        green2 = (green2 + Math.imul(data[q + 1], weight)) | 0;
        blue2 = (blue2 + Math.imul(data[q + 2], weight)) | 0;
      }
      // Uint8ClampedArray clips to 0..255; the shift is the fixed-point floor.
      out[o] = red >> PRECISION_BITS;
      out[o + 1] = green >> PRECISION_BITS;
      out[o + 2] = blue >> PRECISION_BITS;
      if (pair) {
        out[o + outLine] = red2 >> PRECISION_BITS;
        out[o + outLine + 1] = green2 >> PRECISION_BITS;
        out[o + outLine + 2] = blue2 >> PRECISION_BITS;
      }
      o += 3;
    }
  }
  return out;
}

/**
 * Resample `rows` (whose first row is source row `rowStart`) vertically to the rows `taps` describes,
 * one pixel (three channels) at a time down its column of taps.
 */
function verticalPass(rows: Uint8ClampedArray, rowWidth: number, rowStart: number, taps: AxisTaps): Uint8ClampedArray {
  const { start, count, weights, stride } = taps;
  const line = rowWidth * 3;
  const out = new Uint8ClampedArray(start.length * line);
  for (let y = 0; y < start.length; y++) {
    const base = (start[y] - rowStart) * line;
    const weightBase = y * stride;
    const tapCount = count[y];
    const outBase = y * line;
    for (let x = 0; x < line; x += 3) {
      let red = ROUNDING;
      let green = ROUNDING;
      let blue = ROUNDING;
      let p = base + x;
      for (let tap = 0; tap < tapCount; tap++, p += line) {
        const weight = weights[weightBase + tap];
        red = (red + Math.imul(rows[p], weight)) | 0;
        green = (green + Math.imul(rows[p + 1], weight)) | 0;
        blue = (blue + Math.imul(rows[p + 2], weight)) | 0;
      }
      out[outBase + x] = red >> PRECISION_BITS;
      out[outBase + x + 1] = green >> PRECISION_BITS;
      out[outBase + x + 2] = blue >> PRECISION_BITS;
    }
  }
  return out;
}

/** Source index for each output index along one axis (Pillow's nearest: accumulate the scale). */
function nearestIndices(inSize: number, outSize: number, first: number, length: number): Int32Array {
  const scale = inSize / outSize;
  const indices = new Int32Array(length);
  let position = scale * 0.5;
  for (let index = 0; index < first + length; index++) {
    if (index >= first) indices[index - first] = Math.min(Math.trunc(position), inSize - 1);
    position += scale;
  }
  return indices;
}

function nearestResize(source: RgbImage, columns: Int32Array, rows: Int32Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(columns.length * rows.length * 3);
  let o = 0;
  for (let y = 0; y < rows.length; y++) {
    const rowBase = rows[y] * source.width * 3;
    for (let x = 0; x < columns.length; x++) {
      const p = rowBase + columns[x] * 3;
      out[o++] = source.data[p];
      out[o++] = source.data[p + 1];
      out[o++] = source.data[p + 2];
    }
  }
  return out;
}

/** The part of `[start, start + length)` inside `[0, size)`. */
function clampSpan(start: number, length: number, size: number): { first: number; length: number } {
  const first = Math.max(start, 0);
  const last = Math.min(start + length, size);
  return { first, length: Math.max(last - first, 0) };
}

/**
 * Resize `source` to `width`×`height` with Pillow's `filter`, then keep `crop` (default: everything).
 * Crop areas outside the resized image are black, as torchvision's padded CenterCrop makes them.
 */
export function resizeCropRgb(
  source: RgbImage,
  width: number,
  height: number,
  filter: ResampleFilter,
  crop: CropWindow = { left: 0, top: 0, width, height },
  options: { simd?: boolean } = {},
): RgbImage {
  const columns = clampSpan(crop.left, crop.width, width);
  const rows = clampSpan(crop.top, crop.height, height);
  let inside: Uint8ClampedArray;
  if (columns.length === 0 || rows.length === 0) {
    inside = new Uint8ClampedArray(0);
  } else if (filter === 'nearest') {
    inside = nearestResize(
      source,
      nearestIndices(source.width, width, columns.first, columns.length),
      nearestIndices(source.height, height, rows.first, rows.length),
    );
  } else {
    inside = convolve(source, width, height, FILTER_KERNELS[filter], columns, rows, options.simd ?? true);
  }
  if (columns.length === crop.width && rows.length === crop.height) {
    return { data: inside, width: crop.width, height: crop.height };
  }
  const out = new Uint8ClampedArray(crop.width * crop.height * 3);
  const offsetX = columns.first - crop.left;
  const offsetY = rows.first - crop.top;
  for (let y = 0; y < rows.length; y++) {
    const from = y * columns.length * 3;
    out.set(inside.subarray(from, from + columns.length * 3), ((y + offsetY) * crop.width + offsetX) * 3);
  }
  return { data: out, width: crop.width, height: crop.height };
}

function convolve(
  source: RgbImage,
  width: number,
  height: number,
  kernel: FilterKernel,
  columns: { first: number; length: number },
  rows: { first: number; length: number },
  simd: boolean,
): Uint8ClampedArray {
  const resizeRows = height !== source.height;
  const resizeColumns = width !== source.width;
  const verticalTaps = resizeRows ? axisTaps(source.height, height, kernel, rows.first, rows.length) : undefined;
  // Only the source rows the vertical pass reads need the horizontal pass.
  const rowStart = verticalTaps ? verticalTaps.start[0] : rows.first;
  const last = rows.length - 1;
  const rowEnd = verticalTaps ? verticalTaps.start[last] + verticalTaps.count[last] : rows.first + rows.length;
  let horizontal: Uint8ClampedArray;
  if (resizeColumns) {
    const taps = axisTaps(source.width, width, kernel, columns.first, columns.length);
    horizontal =
      (simd && horizontalPassSimd(source, rowStart, rowEnd, taps)) || horizontalPass(source, rowStart, rowEnd, taps);
  } else {
    horizontal = copyColumns(source, rowStart, rowEnd, columns.first, columns.length);
  }
  if (!verticalTaps) return horizontal;
  return (
    (simd && verticalPassSimd(horizontal, columns.length, rowStart, verticalTaps)) ||
    verticalPass(horizontal, columns.length, rowStart, verticalTaps)
  );
}

function copyColumns(
  source: RgbImage,
  rowStart: number,
  rowEnd: number,
  first: number,
  length: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray((rowEnd - rowStart) * length * 3);
  for (let y = rowStart; y < rowEnd; y++) {
    const from = (y * source.width + first) * 3;
    out.set(source.data.subarray(from, from + length * 3), (y - rowStart) * length * 3);
  }
  return out;
}
