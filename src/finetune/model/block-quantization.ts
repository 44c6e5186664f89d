/**
 * Block-wise 4-bit quantization of frozen weights (QLoRA's storage): each block of `blockSize`
 * consecutive values along one axis keeps one float32 scale (its absolute maximum) and 4-bit codes
 * into a 16-value table, two codes per byte. `nf4` is the NormalFloat table of the QLoRA paper
 * (Dettmers et al. 2023, appendix E; bitsandbytes' values), `int4` the symmetric integers −7…7 over 7,
 * i.e. ONNX block quantization with zero point 8. A value decodes as table[code] · scale.
 */
import { MmkitError } from '../../errors.ts';

export type QuantizationFormat = 'nf4' | 'int4';

/** NF4: quantiles of N(0, 1) with an exact zero, normalized to [−1, 1] (QLoRA, appendix E). */
export const NF4_TABLE: readonly number[] = [
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
];

/** int4 with zero point 8: code k means (k − 8)/7, so ±absmax map to ±7 (code 0, −8/7, is never produced). */
export const INT4_TABLE: readonly number[] = Array.from({ length: 16 }, (_, code) => (code - 8) / 7);

export const DEFAULT_BLOCK_SIZE = 64;

/** The `--qlora [FORMAT]` value: `nf4` (default, also for a bare flag) or `int4`. */
export function parseQuantizationFormat(value: string | boolean | undefined): QuantizationFormat {
  if (value === undefined || value === true || value === 'nf4') return 'nf4';
  if (value === 'int4') return 'int4';
  throw new MmkitError(`--qlora: unsupported 4-bit format "${String(value)}" (supported: nf4, int4)`, {
    code: 'unsupported_quantization',
    param: 'qlora',
  });
}

/** The 16 values a code stands for, as float32 (what the graph stores). */
export function codeTable(format: QuantizationFormat): Float32Array {
  return Float32Array.from(format === 'nf4' ? NF4_TABLE : INT4_TABLE);
}

/**
 * A [rows, columns] matrix in 4-bit blocks. `axis` 0: a block is `blockSize` consecutive rows of one
 * column (scales [rows/blockSize, columns]); axis 1: consecutive columns of one row (scales [rows, columns/blockSize]).
 */
export interface QuantizedMatrix {
  format: QuantizationFormat;
  rows: number;
  columns: number;
  axis: 0 | 1;
  blockSize: number;
  /** Row-major codes, element 2j in the low nibble of byte j and element 2j+1 in the high nibble. */
  packed: Uint8Array;
  scales: Float32Array;
}

/** Index of the table entry nearest to `value` (the table is sorted ascending). */
function nearestCode(table: Float32Array, value: number): number {
  let code = 0;
  while (code < 15 && value > (table[code] + table[code + 1]) / 2) code++;
  return code;
}

export function quantizeMatrix(
  values: ArrayLike<number>,
  rows: number,
  columns: number,
  options: { format: QuantizationFormat; blockSize?: number; axis: 0 | 1; name?: string },
): QuantizedMatrix {
  const { format, axis } = options;
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const blockedLength = axis === 0 ? rows : columns;
  if (!Number.isInteger(blockSize) || blockSize < 2 || blockSize % 2 !== 0 || blockedLength % blockSize !== 0) {
    throw new MmkitError(
      `cannot quantize ${options.name ?? 'weight'} [${rows}, ${columns}] in 4-bit blocks of ${blockSize}: the block size must be even and divide ${blockedLength}`,
      { code: 'quantization_block_size', param: 'blockSize' },
    );
  }
  if (values.length !== rows * columns) throw new RangeError(`expected ${rows * columns} values, got ${values.length}`);
  const table = codeTable(format);
  const scales = new Float32Array((rows * columns) / blockSize);
  const packed = new Uint8Array((rows * columns) / 2);
  const scaleColumns = axis === 0 ? columns : columns / blockSize;
  // The flat index of element `step` of block (row-or-column group, index along the other axis).
  const blockCount = scales.length;
  for (let block = 0; block < blockCount; block++) {
    const scaleRow = Math.floor(block / scaleColumns);
    const scaleColumn = block % scaleColumns;
    const first =
      axis === 0 ? scaleRow * blockSize * columns + scaleColumn : scaleRow * columns + scaleColumn * blockSize;
    const stride = axis === 0 ? columns : 1;
    let absmax = 0;
    for (let step = 0; step < blockSize; step++) absmax = Math.max(absmax, Math.abs(values[first + step * stride]));
    const scale = Math.fround(absmax);
    scales[block] = scale;
    for (let step = 0; step < blockSize; step++) {
      const index = first + step * stride;
      const code = nearestCode(table, scale === 0 ? 0 : values[index] / scale);
      packed[index >> 1] |= index & 1 ? code << 4 : code;
    }
  }
  return { format, rows, columns, axis, blockSize, packed, scales };
}

/** The code of element `index` (row-major). */
export function codeAt(packed: Uint8Array, index: number): number {
  const byte = packed[index >> 1];
  return index & 1 ? byte >> 4 : byte & 15;
}

/**
 * The decoded matrix, row-major, in float64: table[code] · scale of two float32 numbers is exact in
 * float64, so this is also what a float64 graph computes; a float32 graph rounds it once.
 */
export function dequantizeMatrix(matrix: QuantizedMatrix): Float64Array {
  const { rows, columns, axis, blockSize, packed, scales } = matrix;
  const table = codeTable(matrix.format);
  const result = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const index = row * columns + column;
      const scale =
        axis === 0
          ? scales[Math.floor(row / blockSize) * columns + column]
          : scales[row * (columns / blockSize) + Math.floor(column / blockSize)];
      result[index] = table[codeAt(packed, index)] * scale;
    }
  }
  return result;
}

/**
 * A [256, 2] table that decodes a whole byte in one Gather: row b holds the values of its low and
 * its high nibble, so gathering packed bytes gives the elements in row-major order.
 */
export function pairTable(format: QuantizationFormat): Float64Array {
  const table = codeTable(format);
  const pairs = new Float64Array(512);
  for (let byte = 0; byte < 256; byte++) {
    pairs[2 * byte] = table[byte & 15];
    pairs[2 * byte + 1] = table[byte >> 4];
  }
  return pairs;
}

/** Bytes a quantized matrix keeps resident (codes and scales). */
export function quantizedBytes(matrix: QuantizedMatrix): number {
  return matrix.packed.byteLength + matrix.scales.byteLength;
}
