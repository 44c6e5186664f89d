/**
 * The WebAssembly (SIMD) resampling kernels, assembled here from their instructions so the source is
 * readable and no binary blob or build tool is needed. Same arithmetic as `resample.ts`'s JavaScript
 * passes (32-bit fixed point, rounding bias, arithmetic shift, clip to 0..255), one pixel's three
 * channels (horizontal) or sixteen bytes of a row (vertical) per vector operation.
 *
 * horizontal(src, srcLine, rowStart, rowEnd, starts, counts, weights, strideBytes, columns, out)
 * vertical(rows, line, rowStart, starts, counts, weights, strideBytes, outRows, out)
 * All pointers are byte offsets into the exported memory; both kernels may read up to 16 bytes and
 * write up to 16 bytes past the end of their buffers.
 */

const I32 = 0x7f;
const V128 = 0x7b;

function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signed(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

const vector = (items: number[][]): number[] => [...unsigned(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...unsigned(content.length), ...content];
const name = (text: string): number[] => [...unsigned(text.length), ...Buffer.from(text, 'latin1')];

/** Instruction helpers. */
const get = (index: number) => [0x20, ...unsigned(index)];
const set = (index: number) => [0x21, ...unsigned(index)];
const tee = (index: number) => [0x22, ...unsigned(index)];
const constant = (value: number) => [0x41, ...signed(value)];
const add = [0x6a];
const mul = [0x6c];
const shl = [0x74];
const geS = [0x4e];
const loadI32 = [0x28, 2, 0];
const simd = (opcode: number, ...immediates: number[]) => [0xfd, ...unsigned(opcode), ...immediates];
const v128Load = simd(0x00, 0, 0);
const v128Store = simd(0x0b, 0, 0);
const load32Zero = simd(0x5c, 0, 0);
const store32Lane0 = simd(0x5a, 0, 0, 0);
const store16Lane0 = simd(0x59, 0, 0, 0);
/** Lane 2 (the third byte), stored at offset 2. */
const store8Lane2 = simd(0x58, 0, 2, 2);
const splatI32 = simd(0x11);
const widenLowU8 = simd(0x89);
const widenHighU8 = simd(0x8a);
const widenLowU16 = simd(0xa9);
const widenHighU16 = simd(0xaa);
const addI32x4 = simd(0xae);
const mulI32x4 = simd(0xb5);
const shrSI32x4 = simd(0xac);
const narrowI32ToI16 = simd(0x85);
const narrowI16ToU8 = simd(0x66);
/** `while (!(condition)) { body }`, with the exit test at the top. */
const loopUntil = (condition: number[], body: number[]) => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...condition,
  0x0d,
  1,
  ...body,
  0x0c,
  0,
  0x0b,
  0x0b,
];
const increment = (index: number, by: number[]) => [...get(index), ...by, ...add, ...set(index)];

const PRECISION_BITS = 22;
const ROUNDING = 1 << (PRECISION_BITS - 1);

/**
 * Two source rows per pass over the taps, sharing each weight: row y's pixel is stored as exactly
 * three bytes (it must not touch row y + 1, already written); row y + 1's as four, the spare byte
 * landing on a pixel written later. An odd last row is computed twice and stored over itself.
 */
function horizontalBody(): number[] {
  const [src, srcLine, rowStart, rowEnd, starts, counts, weights, strideBytes, columns, out] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ];
  const [y, x, rowBase, p, w, end, o, next, outNext] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [acc, acc2, weight] = [19, 20, 21];
  const locals = vector([
    [9, I32],
    [3, V128],
  ]);
  const pixelAt = (offset: number[]) => [...get(p), ...offset, ...load32Zero, ...widenLowU8, ...widenLowU16];
  const accumulate = (target: number, offset: number[]) => [
    ...get(target),
    ...pixelAt(offset),
    ...get(weight),
    ...mulI32x4,
    ...addI32x4,
    ...set(target),
  ];
  const taps = loopUntil(
    [...get(w), ...get(end), 0x4f /* i32.ge_u */],
    [
      ...get(w),
      ...loadI32,
      ...splatI32,
      ...set(weight),
      ...accumulate(acc, []),
      ...accumulate(acc2, [...get(next), ...add]),
      ...increment(p, constant(3)),
      ...increment(w, constant(4)),
    ],
  );
  // acc → saturated bytes in lanes 0..2 (then 0..2 again, unused).
  const toBytes = (target: number) => [
    ...get(target),
    ...constant(PRECISION_BITS),
    ...shrSI32x4,
    ...tee(target),
    ...get(target),
    ...narrowI32ToI16,
    ...tee(target),
    ...get(target),
    ...narrowI16ToU8,
    ...set(target),
  ];
  const pixel = [
    // p = rowBase + starts[x] * 3; w = weights + x * strideBytes; end = w + counts[x] * 4
    ...get(rowBase),
    ...get(starts),
    ...get(x),
    ...constant(2),
    ...shl,
    ...add,
    ...loadI32,
    ...constant(3),
    ...mul,
    ...add,
    ...set(p),
    ...get(weights),
    ...get(x),
    ...get(strideBytes),
    ...mul,
    ...add,
    ...tee(w),
    ...get(counts),
    ...get(x),
    ...constant(2),
    ...shl,
    ...add,
    ...loadI32,
    ...constant(2),
    ...shl,
    ...add,
    ...set(end),
    ...constant(ROUNDING),
    ...splatI32,
    ...tee(acc),
    ...set(acc2),
    ...taps,
    ...toBytes(acc),
    ...toBytes(acc2),
    ...get(o),
    ...get(acc),
    ...store16Lane0,
    ...get(o),
    ...get(acc),
    ...store8Lane2,
    ...get(o),
    ...get(outNext),
    ...add,
    ...get(acc2),
    ...store32Lane0,
    ...increment(o, constant(3)),
    ...increment(x, constant(1)),
  ];
  const isPaired = [...get(y), ...constant(1), ...add, ...get(rowEnd), 0x48 /* i32.lt_s */];
  const row = [
    ...get(src),
    ...get(y),
    ...get(srcLine),
    ...mul,
    ...add,
    ...set(rowBase),
    ...get(srcLine),
    ...constant(0),
    ...isPaired,
    0x1b /* select */,
    ...set(next),
    ...get(columns),
    ...constant(3),
    ...mul,
    ...constant(0),
    ...isPaired,
    0x1b /* select */,
    ...set(outNext),
    ...get(out),
    ...get(y),
    ...get(rowStart),
    0x6b /* i32.sub */,
    ...get(columns),
    ...constant(3),
    ...mul,
    ...mul,
    ...add,
    ...set(o),
    ...constant(0),
    ...set(x),
    ...loopUntil([...get(x), ...get(columns), ...geS], pixel),
    ...increment(y, constant(2)),
  ];
  const code = [...get(rowStart), ...set(y), ...loopUntil([...get(y), ...get(rowEnd), ...geS], row), 0x0b];
  return [...locals, ...code];
}

function verticalBody(): number[] {
  const [rows, line, rowStart, starts, counts, weights, strideBytes, outRows, out] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [y, x, base, weightBase, p, w, end, o] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [a0, a1, a2, a3, bytes, weight, low, high] = [17, 18, 19, 20, 21, 22, 23, 24];
  const locals = vector([
    [8, I32],
    [8, V128],
  ]);
  const accumulate = (target: number, half: number, widen: number[]) => [
    ...get(target),
    ...get(half),
    ...widen,
    ...get(weight),
    ...mulI32x4,
    ...addI32x4,
    ...set(target),
  ];
  const taps = loopUntil(
    [...get(w), ...get(end), 0x4f /* i32.ge_u */],
    [
      ...get(p),
      ...v128Load,
      ...set(bytes),
      ...get(w),
      ...loadI32,
      ...splatI32,
      ...set(weight),
      ...get(bytes),
      ...widenLowU8,
      ...set(low),
      ...get(bytes),
      ...widenHighU8,
      ...set(high),
      ...accumulate(a0, low, widenLowU16),
      ...accumulate(a1, low, widenHighU16),
      ...accumulate(a2, high, widenLowU16),
      ...accumulate(a3, high, widenHighU16),
      ...increment(p, get(line)),
      ...increment(w, constant(4)),
    ],
  );
  const shifted = (accumulator: number) => [...get(accumulator), ...constant(PRECISION_BITS), ...shrSI32x4];
  const chunk = [
    ...constant(ROUNDING),
    ...splatI32,
    ...tee(a0),
    ...tee(a1),
    ...tee(a2),
    ...set(a3),
    ...get(base),
    ...get(x),
    ...add,
    ...set(p),
    ...get(weightBase),
    ...set(w),
    ...taps,
    ...get(o),
    ...get(x),
    ...add,
    ...shifted(a0),
    ...shifted(a1),
    ...narrowI32ToI16,
    ...shifted(a2),
    ...shifted(a3),
    ...narrowI32ToI16,
    ...narrowI16ToU8,
    ...v128Store,
    ...increment(x, constant(16)),
  ];
  const row = [
    // base = rows + (starts[y] − rowStart) × line
    ...get(rows),
    ...get(starts),
    ...get(y),
    ...constant(2),
    ...shl,
    ...add,
    ...loadI32,
    ...get(rowStart),
    0x6b /* i32.sub */,
    ...get(line),
    ...mul,
    ...add,
    ...set(base),
    ...get(weights),
    ...get(y),
    ...get(strideBytes),
    ...mul,
    ...add,
    ...tee(weightBase),
    ...get(counts),
    ...get(y),
    ...constant(2),
    ...shl,
    ...add,
    ...loadI32,
    ...constant(2),
    ...shl,
    ...add,
    ...set(end),
    ...get(out),
    ...get(y),
    ...get(line),
    ...mul,
    ...add,
    ...set(o),
    ...constant(0),
    ...set(x),
    ...loopUntil([...get(x), ...get(line), ...geS], chunk),
    ...increment(y, constant(1)),
  ];
  const code = [...constant(0), ...set(y), ...loopUntil([...get(y), ...get(outRows), ...geS], row), 0x0b];
  return [...locals, ...code];
}

export function simdModuleBytes(): Uint8Array {
  const functionType = (parameters: number) => [0x60, ...vector(new Array(parameters).fill([I32])), 0];
  const bodies = [horizontalBody(), verticalBody()].map((body) => [...unsigned(body.length), ...body]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector([functionType(10), functionType(9)])),
    ...section(3, vector([[0], [1]])),
    ...section(5, vector([[0x00, ...unsigned(1)]])),
    ...section(
      7,
      vector([
        [...name('horizontal'), 0x00, 0],
        [...name('vertical'), 0x00, 1],
        [...name('memory'), 0x02, 0],
      ]),
    ),
    ...section(10, vector(bodies)),
  ];
  return Uint8Array.from(bytes);
}
