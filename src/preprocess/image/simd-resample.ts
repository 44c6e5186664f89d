/**
 * Runs the WebAssembly SIMD kernels of `simd-module.ts` on our images: copies the input and the taps
 * into the module's memory, calls the kernel, copies the result out. Same signatures and results as
 * the JavaScript passes in `resample.ts`, which remain the fallback where WebAssembly SIMD is missing.
 */
import type { AxisTaps, RgbImage } from './resample.ts';
import { simdModuleBytes } from './simd-module.ts';

/** The slice of the WebAssembly API we use (this project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface Kernels {
  memory: WasmMemory;
  horizontal: (...pointersAndSizes: number[]) => void;
  vertical: (...pointersAndSizes: number[]) => void;
}

let kernels: Kernels | null | undefined;

function loadKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(simdModuleBytes()));
    kernels = instance.exports as unknown as Kernels;
  } catch {
    kernels = null;
  }
  return kernels;
}

export function simdAvailable(): boolean {
  return loadKernels() !== null;
}

/** Bump allocation in the module's memory, 16-byte aligned, with slack for the kernels' overreach. */
class Arena {
  private readonly regions: Array<{ offset: number; bytes: ArrayBufferView }> = [];
  private end = 0;

  place(bytes: ArrayBufferView): number {
    const offset = this.reserve(bytes.byteLength);
    this.regions.push({ offset, bytes });
    return offset;
  }

  reserve(length: number): number {
    const offset = this.end;
    this.end = Math.ceil((offset + length + 32) / 16) * 16;
    return offset;
  }

  /** Grow the memory to fit, copy the placed inputs in, and return a byte view of it. */
  commit(memory: WasmMemory): Uint8Array {
    const missing = this.end - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    const heap = new Uint8Array(memory.buffer);
    for (const { offset, bytes } of this.regions) {
      heap.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
    }
    return heap;
  }
}

function placeTaps(arena: Arena, taps: AxisTaps): [number, number, number, number] {
  return [arena.place(taps.start), arena.place(taps.count), arena.place(taps.weights), taps.stride * 4];
}

export function horizontalPassSimd(
  source: RgbImage,
  rowStart: number,
  rowEnd: number,
  taps: AxisTaps,
): Uint8ClampedArray | undefined {
  const wasm = loadKernels();
  if (!wasm) return undefined;
  const line = source.width * 3;
  const outLine = taps.start.length * 3;
  const arena = new Arena();
  const src = arena.place(source.data.subarray(rowStart * line, rowEnd * line));
  const [starts, counts, weights, strideBytes] = placeTaps(arena, taps);
  const out = arena.reserve((rowEnd - rowStart) * outLine);
  const heap = arena.commit(wasm.memory);
  wasm.horizontal(src, line, 0, rowEnd - rowStart, starts, counts, weights, strideBytes, taps.start.length, out);
  return new Uint8ClampedArray(heap.subarray(out, out + (rowEnd - rowStart) * outLine));
}

export function verticalPassSimd(
  rows: Uint8ClampedArray,
  rowWidth: number,
  rowStart: number,
  taps: AxisTaps,
): Uint8ClampedArray | undefined {
  const wasm = loadKernels();
  if (!wasm) return undefined;
  const line = rowWidth * 3;
  const arena = new Arena();
  const input = arena.place(rows);
  const [starts, counts, weights, strideBytes] = placeTaps(arena, taps);
  const out = arena.reserve(taps.start.length * line);
  const heap = arena.commit(wasm.memory);
  wasm.vertical(input, line, rowStart, starts, counts, weights, strideBytes, taps.start.length, out);
  return new Uint8ClampedArray(heap.subarray(out, out + taps.start.length * line));
}
