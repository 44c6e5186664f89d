/**
 * A counter-based pseudo-random generator that Python can reproduce bit for bit
 * (`tools/reference/finetune_block.py`): value i of a named stream is a 32-bit hash of
 * (seed, stream name, i), so test weights are regenerated from a seed instead of being committed.
 * Only integer arithmetic modulo 2³² and one exact division: identical in both languages.
 */

/** FNV-1a over the UTF-8 bytes of `text`. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The MurmurHash3 finalizer: a bijection on 32-bit integers that mixes every bit. */
export function mix32(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

const GOLDEN_RATIO_32 = 0x9e3779b9;

/** `count` values uniform in [-1, 1), as float64. */
export function uniformValues(seed: number, stream: string, count: number): Float64Array {
  const base = mix32((seed ^ hashText(stream)) >>> 0);
  const values = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const hash = mix32((base + Math.imul(index + 1, GOLDEN_RATIO_32)) >>> 0);
    values[index] = (hash / 4294967296) * 2 - 1;
  }
  return values;
}

/** Uniform values in [-scale, scale), rounded to float32 (the rounding Python's numpy float32 does). */
export function uniformFloat32(seed: number, stream: string, count: number, scale: number): Float32Array {
  return Float32Array.from(uniformValues(seed, stream, count), (value) => value * scale);
}

/** Integers in [0, limit). */
export function uniformIntegers(seed: number, stream: string, count: number, limit: number): number[] {
  return Array.from(uniformValues(seed, stream, count), (value) =>
    Math.min(limit - 1, Math.floor(((value + 1) / 2) * limit)),
  );
}
