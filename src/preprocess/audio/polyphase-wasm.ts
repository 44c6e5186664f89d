/**
 * The resampler's inner loop as a tiny WebAssembly SIMD module (assembled here from opcodes, no
 * toolchain): each output sample is a dot product of one filter phase with a window of the input,
 * computed four lanes at a time with four accumulators. About 40× faster than the scalar JavaScript
 * loop on the 64-zero-crossing Kaiser filter. Accumulation is float32, as torchaudio's conv1d.
 *
 * Memory layout per call: [phase table][coefficients][input window][output]. The table holds, per
 * phase, the byte offset of its first tap in the input window, its number of 16-tap groups and the
 * byte address of its coefficients (zero-padded to a multiple of 16 taps).
 */

// The ES2023 lib and Node 20's types do not declare WebAssembly: the little we use, declared locally.
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: Record<string, unknown>;
  }
  function validate(bytes: Uint8Array): boolean;
}

/** Taps per kernel iteration: four f32x4 vectors, one per accumulator. */
const GROUP = 16;
const I32 = 0x7f;
const V128 = 0x7b;

/** Opcodes used below (core and the 0xfd SIMD prefix). */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (index: number) => [0x20, index],
  set: (index: number) => [0x21, index],
  tee: (index: number) => [0x22, index],
  i32Const: (value: number) => [0x41, ...signedLeb(value)],
  i32Load: (offset: number) => [0x28, 2, offset],
  f32Store: [0x38, 2, 0],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  f32Add: [0x92],
  f32Zero: [0x43, 0, 0, 0, 0],
  v128Load: (offset: number) => [0xfd, 0x00, 0, offset],
  f32x4Splat: [0xfd, 0x13],
  f32x4ExtractLane: (lane: number) => [0xfd, 0x1f, lane],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
};

// Parameters: 0 input base, 1 table start, 2 output cursor, 3 output end, 4 input bytes per block, 5 table end.
// Locals: 6 block base, 7 table cursor, 8 input cursor, 9 coefficient cursor, 10 groups left, 11–14 accumulators.
const [INPUT, TABLE, OUT, OUT_END, BLOCK_BYTES, TABLE_END, BASE, ENTRY, X, C, N, ACC0, ACC1, ACC2, ACC3] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
];

function body(): number[] {
  const multiplyAccumulate = (accumulator: number, offset: number) => [
    ...op.get(accumulator),
    ...op.get(X),
    ...op.v128Load(offset),
    ...op.get(C),
    ...op.v128Load(offset),
    ...op.f32x4Mul,
    ...op.f32x4Add,
    ...op.set(accumulator),
  ];
  // biome-ignore format: one instruction per group reads like assembly
  return [
    ...op.block,
    ...op.get(OUT), ...op.get(OUT_END), ...op.i32GeU, ...op.brIf(0),
    ...op.get(INPUT), ...op.set(BASE),
    ...op.loop, // blocks
    ...op.get(TABLE), ...op.set(ENTRY),
    ...op.loop, // phases
    ...op.get(BASE), ...op.get(ENTRY), ...op.i32Load(0), ...op.i32Add, ...op.set(X),
    ...op.get(ENTRY), ...op.i32Load(8), ...op.set(C),
    ...op.get(ENTRY), ...op.i32Load(4), ...op.set(N),
    ...op.f32Zero, ...op.f32x4Splat, ...op.tee(ACC0), ...op.tee(ACC1), ...op.tee(ACC2), ...op.set(ACC3),
    ...op.loop, // taps, sixteen per iteration
    ...multiplyAccumulate(ACC0, 0),
    ...multiplyAccumulate(ACC1, 16),
    ...multiplyAccumulate(ACC2, 32),
    ...multiplyAccumulate(ACC3, 48),
    ...op.get(X), ...op.i32Const(64), ...op.i32Add, ...op.set(X),
    ...op.get(C), ...op.i32Const(64), ...op.i32Add, ...op.set(C),
    ...op.get(N), ...op.i32Const(1), ...op.i32Sub, ...op.tee(N), ...op.brIf(0),
    ...op.end,
    ...op.get(OUT),
    ...op.get(ACC0), ...op.get(ACC1), ...op.f32x4Add, ...op.get(ACC2), ...op.get(ACC3), ...op.f32x4Add, ...op.f32x4Add, ...op.tee(ACC0),
    ...op.f32x4ExtractLane(0), ...op.get(ACC0), ...op.f32x4ExtractLane(1), ...op.f32Add,
    ...op.get(ACC0), ...op.f32x4ExtractLane(2), ...op.f32Add,
    ...op.get(ACC0), ...op.f32x4ExtractLane(3), ...op.f32Add,
    ...op.f32Store,
    // Next output; stop after the last one (br 2 leaves the outer block).
    ...op.get(OUT), ...op.i32Const(4), ...op.i32Add, ...op.tee(OUT), ...op.get(OUT_END), ...op.i32GeU, ...op.brIf(2),
    // Next phase, or fall out to the next block.
    ...op.get(ENTRY), ...op.i32Const(12), ...op.i32Add, ...op.tee(ENTRY), ...op.get(TABLE_END), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...op.get(BASE), ...op.get(BLOCK_BYTES), ...op.i32Add, ...op.set(BASE),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...op.end,
  ];
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function section(id: number, contents: number[]): number[] {
  return [id, ...unsignedLeb(contents.length), ...contents];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (character) => character.charCodeAt(0))];
}

function moduleBytes(): Uint8Array {
  const code = [2, 5, I32, 4, V128, ...body()];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('run'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...unsignedLeb(code.length), ...code]),
  ]);
}

export interface Kernel {
  run: (input: number, table: number, out: number, outEnd: number, blockBytes: number, tableEnd: number) => void;
  memory: WebAssembly.Memory;
}

let kernel: Kernel | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable. */
export function simdKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = moduleBytes();
    if (!WebAssembly.validate(bytes)) {
      kernel = null;
      return kernel;
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const exports = instance.exports as unknown as Kernel;
    kernel = { run: exports.run, memory: exports.memory };
  } catch {
    kernel = null;
  }
  return kernel;
}

/** A filter bank repacked for the kernel: float32 taps, each phase zero-padded to a multiple of GROUP. */
export interface PackedBank {
  coefficients: Float32Array;
  /** Per phase: number of GROUP-tap groups and the index of its first coefficient. */
  groups: Int32Array;
  offsets: Int32Array;
  /** Furthest input index (from the block start) any phase reads, plus one. */
  reach: number;
}

export function packBank(
  firstTap: Int32Array,
  counts: Int32Array,
  offsets: Int32Array,
  taps: Float64Array,
): PackedBank {
  const phases = counts.length;
  const groups = new Int32Array(phases);
  const packedOffsets = new Int32Array(phases);
  let total = 0;
  for (let phase = 0; phase < phases; phase++) {
    groups[phase] = Math.max(1, Math.ceil(counts[phase] / GROUP));
    packedOffsets[phase] = total;
    total += groups[phase] * GROUP;
  }
  const coefficients = new Float32Array(total);
  let reach = 0;
  for (let phase = 0; phase < phases; phase++) {
    coefficients.set(taps.subarray(offsets[phase], offsets[phase] + counts[phase]), packedOffsets[phase]);
    reach = Math.max(reach, firstTap[phase] + groups[phase] * GROUP);
  }
  return { coefficients, groups, offsets: packedOffsets, reach };
}

/** Input samples per chunk: bounds the kernel's memory whatever the length of the audio. */
const CHUNK_INPUT_SAMPLES = 1 << 15;

/**
 * Runs the bank over `samples` (conceptually zero-padded by `padding` before and enough after) into
 * `output`, chunk by chunk.
 */
export function runPolyphaseSimd(
  run: Kernel,
  samples: Float32Array,
  output: Float32Array,
  bank: { inStep: number; outStep: number; padding: number; firstTap: Int32Array; packed: PackedBank },
): void {
  const { inStep, outStep, padding, firstTap, packed } = bank;
  const outputLength = output.length;
  const totalBlocks = Math.ceil(outputLength / outStep);
  const blocksPerChunk = Math.max(1, Math.min(totalBlocks, Math.floor(CHUNK_INPUT_SAMPLES / inStep)));
  const windowSamples = (blocksPerChunk - 1) * inStep + packed.reach;
  const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
  const tableBytes = outStep * 12;
  const coefficientStart = align(tableBytes);
  const inputStart = align(coefficientStart + packed.coefficients.length * 4);
  const outputStart = align(inputStart + windowSamples * 4);
  const needed = outputStart + blocksPerChunk * outStep * 4;
  const { memory } = run;
  if (memory.buffer.byteLength < needed) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  const table = new Int32Array(memory.buffer, 0, outStep * 3);
  for (let phase = 0; phase < outStep; phase++) {
    table[3 * phase] = firstTap[phase] * 4;
    table[3 * phase + 1] = packed.groups[phase];
    table[3 * phase + 2] = coefficientStart + packed.offsets[phase] * 4;
  }
  new Float32Array(memory.buffer, coefficientStart, packed.coefficients.length).set(packed.coefficients);
  const window = new Float32Array(memory.buffer, inputStart, windowSamples);
  for (let chunk = 0; chunk < totalBlocks; chunk += blocksPerChunk) {
    const outputOffset = chunk * outStep;
    const count = Math.min(blocksPerChunk * outStep, outputLength - outputOffset);
    // window[i] is padded[chunk·inStep + i] = samples[chunk·inStep + i − padding], zero outside the signal.
    const first = chunk * inStep - padding;
    const from = Math.max(0, first);
    const to = Math.min(samples.length, first + windowSamples);
    window.fill(0);
    if (to > from) window.set(samples.subarray(from, to), from - first);
    run.run(inputStart, 0, outputStart, outputStart + count * 4, inStep * 4, tableBytes);
    output.set(new Float32Array(memory.buffer, outputStart, count), outputOffset);
  }
}
