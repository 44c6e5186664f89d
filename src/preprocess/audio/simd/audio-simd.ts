/**
 * Loads the WebAssembly SIMD kernels (see tools/wasm/build-audio-simd.mjs) and lays out their memory.
 * Why: the JavaScript FFT tops out near 3.5 µs per 400-point frame; f32x4 lanes (one frame each) make
 * the STFT, mel projection and log10 several times faster. When WebAssembly SIMD is missing, or
 * MMKIT_AUDIO_SIMD=0, callers use the JavaScript path (same results to float32 precision).
 */
import { setFlagsFromString } from 'node:v8';
import { audioSimdBase64 } from './audio-simd-binary.ts';

// @types/node leaves WebAssembly out of the ES2023 lib: the little this file uses.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface AudioSimdKernels {
  memory: WasmMemory;
  radix2(xr: number, xi: number, yr: number, yi: number, span: number, stride: number, twiddles: number): void;
  radix4(xr: number, xi: number, yr: number, yi: number, span: number, stride: number, twiddles: number): void;
  radix5(xr: number, xi: number, yr: number, yi: number, span: number, stride: number, twiddles: number): void;
  splitPower(zr: number, zi: number, out: number, half: number, bytesPerBin: number, twiddles: number): void;
  loadFrames(
    segment: number,
    hopBytes: number,
    count: number,
    window: number,
    half: number,
    re: number,
    im: number,
    bytesPerBin: number,
  ): void;
  melProject(
    power: number,
    bytesPerBin: number,
    nMels: number,
    first: number,
    offset: number,
    weight: number,
    out: number,
    outRowBytes: number,
  ): void;
  log10Scaled(data: number, count: number, floor: number, scale: number): number;
  clampAffine(data: number, count: number, low: number, add: number, scale: number): void;
}

let kernels: AudioSimdKernels | null | undefined;

/** The kernels, or null where WebAssembly SIMD is unavailable or switched off. */
export function audioSimd(): AudioSimdKernels | null {
  if (process.env.MMKIT_AUDIO_SIMD === '0') return null;
  if (kernels === undefined) {
    try {
      // Compile straight to optimised code: V8's baseline tier runs these SIMD loops about 4× slower, and
      // a one-shot CLI call would finish before tier-up. The flag is restored for every later module.
      setFlagsFromString('--no-liftoff');
      try {
        const module = new WebAssembly.Module(Buffer.from(audioSimdBase64, 'base64'));
        kernels = new WebAssembly.Instance(module).exports as unknown as AudioSimdKernels;
      } finally {
        setFlagsFromString('--liftoff');
      }
    } catch {
      kernels = null;
    }
  }
  return kernels;
}

/** Hands out 16-byte-aligned regions of the module's memory, growing it as needed. */
export class Arena {
  private next = 0;
  constructor(readonly kernels: AudioSimdKernels) {}

  /** A region of `count` 4-byte values; returns its byte offset. */
  allocate(count: number): number {
    const offset = this.next;
    this.next += Math.ceil((count * 4) / 16) * 16;
    const needed = this.next - this.kernels.memory.buffer.byteLength;
    if (needed > 0) this.kernels.memory.grow(Math.ceil(needed / 65536));
    return offset;
  }

  /** Views are invalidated by growth: take them after every allocation. */
  floats(offset: number, count: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, offset, count);
  }

  integers(offset: number, count: number): Int32Array {
    return new Int32Array(this.kernels.memory.buffer, offset, count);
  }
}

/**
 * In place on `values`: x ← max(log10(max(floor, x)) · scale, peak − range) + add, then · multiply,
 * where peak is the largest log value. Returns that peak. (Whisper: floor 1e-10, scale 1, range 8,
 * add 4, multiply 1/4. power_to_db: floor amin, scale 10, range top_db, add −ref dB, multiply 1.)
 */
export function logCompress(
  simd: AudioSimdKernels,
  values: Float32Array,
  options: { floor: number; scale: number; range: number; add: number; multiply: number },
): number {
  const arena = new Arena(simd);
  const padded = Math.ceil(values.length / 4) * 4;
  const offset = arena.allocate(padded);
  const view = arena.floats(offset, padded);
  view.set(values);
  // Repeat a real value in the tail so it cannot change the peak.
  view.fill(values.length > 0 ? values[0] : 1, values.length);
  const peak = simd.log10Scaled(offset, padded, options.floor, options.scale);
  simd.clampAffine(offset, padded, peak - options.range, options.add, options.multiply);
  values.set(arena.floats(offset, values.length));
  return peak;
}
