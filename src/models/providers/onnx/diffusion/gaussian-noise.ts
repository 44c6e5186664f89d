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

  /**
   * Fills `target` with N(0, 1) samples: the same values as calling `nextGaussian` for each, with
   * the generator inlined on local state (ancestral schedulers draw a latent's worth every step).
   */
  fill(target: Float32Array): Float32Array {
    let index = 0;
    if (this.spare !== undefined && target.length > 0) {
      target[index++] = this.spare;
      this.spare = undefined;
    }
    const state = this.state;
    let s0 = state[0] | 0;
    let s1 = state[1] | 0;
    let s2 = state[2] | 0;
    let s3 = state[3] | 0;
    const words = new Uint32Array(4);
    for (; index + 1 < target.length; index += 2) {
      // Four xoshiro128** draws: two 53-bit uniforms.
      for (let draw = 0; draw < 4; draw++) {
        words[draw] = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
        const shifted = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= shifted;
        s3 = rotateLeft(s3, 11);
      }
      const first = ((words[0] >>> 5) * 67108864 + (words[1] >>> 6)) / 9007199254740992;
      const second = ((words[2] >>> 5) * 67108864 + (words[3] >>> 6)) / 9007199254740992;
      const radius = Math.sqrt(-2 * Math.log(1 - first));
      const angle = 2 * Math.PI * second;
      target[index] = radius * Math.cos(angle);
      target[index + 1] = radius * Math.sin(angle);
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
    if (index < target.length) target[index] = this.nextGaussian();
    return target;
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
