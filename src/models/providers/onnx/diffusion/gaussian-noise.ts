/**
 * Seeded standard-normal noise, the same on every platform and every run: xoshiro128** (Blackman &
 * Vigna 2018) seeded through SplitMix32 from the seed's low and high 32 bits, uniform doubles from
 * 53 random bits, and the Box–Muller transform (both of its outputs are used, cosine first).
 * Images are reproducible from (seed, size, model): image i of a request uses seed + i.
 */

export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export class GaussianNoise {
  private readonly state = new Uint32Array(4);
  private spare: number | undefined;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be an integer in 0..2^53−1, got ${seed}`);
    let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x9e3779b9);
    for (let index = 0; index < 4; index++) {
      // SplitMix32: fills the state with well-mixed, never all-zero words.
      mix = (mix + 0x9e3779b9) | 0;
      let value = mix;
      value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
      value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
      this.state[index] = value ^ (value >>> 16);
    }
  }

  /** The next 32 random bits (xoshiro128**). */
  nextUint32(): number {
    const state = this.state;
    const result = Math.imul(rotateLeft(Math.imul(state[1], 5), 7), 9) >>> 0;
    const shifted = state[1] << 9;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= shifted;
    state[3] = rotateLeft(state[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextUniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  nextGaussian(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextUniform()));
    const angle = 2 * Math.PI * this.nextUniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fills `target` with N(0, 1) samples. */
  fill(target: Float32Array): Float32Array {
    for (let index = 0; index < target.length; index++) target[index] = this.nextGaussian();
    return target;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
