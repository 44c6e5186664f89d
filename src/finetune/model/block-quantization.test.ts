import { describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { uniformValues } from '../random.ts';
import {
  codeAt,
  dequantizeMatrix,
  INT4_TABLE,
  NF4_TABLE,
  pairTable,
  parseQuantizationFormat,
  type QuantizationFormat,
  quantizeMatrix,
} from './block-quantization.ts';

/** The standard normal quantile function (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** `count` evenly spaced points from `from` to `to`, both included. */
const spaced = (from: number, to: number, count: number) =>
  Array.from({ length: count }, (_, index) => from + ((to - from) * index) / (count - 1));

describe('code tables', () => {
  it('NF4 is the QLoRA construction: 8 positive and 7 negative normal quantiles (offset 0.9677) and zero, scaled to ±1', () => {
    const offset = 0.9677083;
    const positive = spaced(offset, 0.5, 9).slice(0, 8).map(normalQuantile);
    const negative = spaced(offset, 0.5, 8)
      .slice(0, 7)
      .map((p) => -normalQuantile(p));
    const values = [...positive, 0, ...negative];
    const largest = Math.max(...values);
    const derived = values.map((value) => value / largest).sort((x, y) => x - y);
    expect(NF4_TABLE).toHaveLength(16);
    for (const [index, value] of derived.entries()) expect(NF4_TABLE[index]).toBeCloseTo(value, 6);
  });

  it('int4 holds −8/7 … 7/7 with zero at code 8', () => {
    expect(INT4_TABLE[8]).toBe(0);
    expect(INT4_TABLE[15]).toBe(1);
    expect(INT4_TABLE[1]).toBe(-1);
  });

  it('the byte table decodes the low nibble first, then the high nibble', () => {
    const pairs = pairTable('nf4');
    const byte = 0x3c; // low nibble 12, high nibble 3
    expect(pairs[2 * byte]).toBe(Math.fround(NF4_TABLE[12]));
    expect(pairs[2 * byte + 1]).toBe(Math.fround(NF4_TABLE[3]));
  });
});

describe('quantizeMatrix', () => {
  it('packs element 2j in the low nibble and 2j+1 in the high nibble, and keeps absmax per block', () => {
    // One block of 4 along columns: values at 1, −1, 0, 0.5 of absmax 2.
    const matrix = quantizeMatrix([2, -2, 0, 1], 1, 4, { format: 'int4', blockSize: 4, axis: 1 });
    expect(Array.from(matrix.scales)).toEqual([2]);
    // codes: 15 (1), 1 (−1), 8 (0), round(3.5)=4 → code 12 (4/7) or 11 (3/7), nearest of 0.5 is 4/7 (0.571) vs 3/7 (0.429): tie-free pick
    expect(matrix.packed[0]).toBe(15 | (1 << 4));
    expect(codeAt(matrix.packed, 2)).toBe(8);
    expect([11, 12]).toContain(codeAt(matrix.packed, 3));
  });

  it('blocks along rows (axis 0) of Wᵀ equal blocks along columns (axis 1) of W', () => {
    const rows = 6;
    const columns = 16;
    const values = uniformValues(3, 'w', rows * columns);
    const transposed = new Float64Array(rows * columns);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) transposed[column * rows + row] = values[row * columns + column];
    }
    const byColumns = dequantizeMatrix(quantizeMatrix(values, rows, columns, { format: 'nf4', blockSize: 8, axis: 1 }));
    const byRows = dequantizeMatrix(
      quantizeMatrix(transposed, columns, rows, { format: 'nf4', blockSize: 8, axis: 0 }),
    );
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        expect(byRows[column * rows + row]).toBe(byColumns[row * columns + column]);
      }
    }
  });

  it.each<[QuantizationFormat, number]>([
    // Half the widest gap between neighbouring codes, relative to the block's absmax.
    ['nf4', (-0.6961928009986877 - -1) / 2],
    ['int4', 1 / 14],
  ])('%s round trip stays within half a code step of every value, and hits ±absmax exactly', (format, bound) => {
    const rows = 64;
    const columns = 32;
    const values = Float32Array.from(uniformValues(5, format, rows * columns), (value) => value * 0.3);
    values[7] = 2; // an outlier: its block's scale grows, other blocks keep theirs
    const matrix = quantizeMatrix(values, rows, columns, { format, blockSize: 16, axis: 1 });
    const restored = dequantizeMatrix(matrix);
    let worst = 0;
    let sumSquares = 0;
    for (let index = 0; index < values.length; index++) {
      const scale = matrix.scales[Math.floor(index / 16)];
      worst = Math.max(worst, Math.abs(restored[index] - values[index]) / scale);
      sumSquares += (restored[index] - values[index]) ** 2;
    }
    expect(worst).toBeLessThanOrEqual(bound + 1e-6);
    expect(restored[7]).toBe(2);
    expect(matrix.scales[0]).toBe(2);
    // The rest quantizes at its own scale: RMS error well under the outlier block's step.
    expect(Math.sqrt(sumSquares / values.length)).toBeLessThan(0.03);
  });

  it('an all-zero block decodes to zeros', () => {
    const matrix = quantizeMatrix(new Float32Array(8), 2, 4, { format: 'nf4', blockSize: 4, axis: 1 });
    expect(Array.from(dequantizeMatrix(matrix))).toEqual(new Array(8).fill(0));
  });

  it('rejects a block size that does not divide the blocked axis, naming the weight', () => {
    const quantize = () =>
      quantizeMatrix(new Float32Array(40), 4, 10, { format: 'nf4', blockSize: 4, axis: 1, name: 'model.x.weight' });
    expect(quantize).toThrow(MmkitError);
    expect(quantize).toThrow(/model\.x\.weight \[4, 10\].*blocks of 4/);
  });
});

describe('parseQuantizationFormat', () => {
  it('reads --qlora as nf4 unless int4 is named, and rejects anything else with the supported names', () => {
    expect(parseQuantizationFormat(true)).toBe('nf4');
    expect(parseQuantizationFormat(undefined)).toBe('nf4');
    expect(parseQuantizationFormat('int4')).toBe('int4');
    expect(() => parseQuantizationFormat('fp4')).toThrow(
      /--qlora: unsupported 4-bit format "fp4" \(supported: nf4, int4\)/,
    );
  });
});
