/**
 * Real FFT for any even size whose half factors into 2, 3, 4 and 5 (n_fft 2048 = 2¹¹, Whisper's
 * 400 = 2⁴·5²), with a generic odd-radix fallback for other factors.
 *
 * Why hand-written: measured on this machine (see the commit message), `fft.js` is power-of-two
 * only, `kissfft-wasm` pays a WASM copy per call, and Transformers.js's FFT handles 400 with
 * Bluestein's algorithm (three power-of-two transforms of 1024): ours is several times faster on
 * both sizes.
 *
 * Method: the real input of size n is packed as n/2 complex values, transformed by a self-sorting
 * (Stockham) mixed-radix complex FFT, and split into the n/2 + 1 non-negative frequency bins.
 * Plans (factors, twiddles, scratch) are built once per size and cached; transforms allocate nothing.
 */

interface Stage {
  radix: number;
  /** Butterflies per stage group (N / radix, where N is the sub-transform length at this stage). */
  span: number;
  /** Distance between consecutive sub-transforms (the product of the radices before this one). */
  stride: number;
  /** Interleaved (re, im) twiddles ω_N^(j·r) for j < span, 1 ≤ r < radix, laid out [j][r-1]. */
  twiddles: Float64Array;
}

export class RealFft {
  readonly size: number;
  /** Frames transformed together: the frame index is the innermost (fastest) axis of every buffer. */
  readonly batch: number;
  /**
   * Input of `powerBatch`: sample t of frame f sits at `2 * ((t >> 1) * batch + f) + (t & 1)`
   * (the real signal read as n/2 complex values). `setFrame` fills it.
   */
  readonly input: Float64Array;
  private readonly half: number;
  private readonly stages: Stage[];
  /** ω_n^k for k ≤ n/2, interleaved, for the real-from-complex split. */
  private readonly splitTwiddles: Float64Array;
  private readonly scratch: Float64Array;
  /** Scratch for the generic radix butterfly. */
  private readonly generic: Float64Array;

  constructor(size: number, batch = 1) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) {
      throw new RangeError(`FFT size must be an even integer ≥ 2, got ${size}`);
    }
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`FFT batch must be an integer ≥ 1, got ${batch}`);
    this.size = size;
    this.batch = batch;
    this.half = size / 2;
    this.stages = [];
    let length = this.half;
    // Batching is free in the Stockham layout: the frames are one more level of stride.
    let stride = batch;
    let largest = 1;
    for (const radix of factorize(this.half)) {
      const span = length / radix;
      const twiddles = new Float64Array(span * (radix - 1) * 2);
      for (let j = 0; j < span; j++) {
        for (let r = 1; r < radix; r++) {
          const angle = (-2 * Math.PI * j * r) / length;
          const index = (j * (radix - 1) + r - 1) * 2;
          twiddles[index] = Math.cos(angle);
          twiddles[index + 1] = Math.sin(angle);
        }
      }
      this.stages.push({ radix, span, stride, twiddles });
      largest = Math.max(largest, radix);
      length = span;
      stride *= radix;
    }
    this.splitTwiddles = new Float64Array((this.half + 1) * 2);
    for (let k = 0; k <= this.half; k++) {
      const angle = (-2 * Math.PI * k) / size;
      this.splitTwiddles[2 * k] = Math.cos(angle);
      this.splitTwiddles[2 * k + 1] = Math.sin(angle);
    }
    this.input = new Float64Array(size * batch);
    this.scratch = new Float64Array(size * batch);
    this.generic = new Float64Array(largest * 4);
  }

  /** Put `signal[start + t] · window[t]` (t < n) into frame slot `frame` of `input`. */
  setFrame(frame: number, signal: Float64Array | Float32Array, start: number, window: Float64Array): void {
    const input = this.input;
    const stride = 2 * this.batch;
    let index = 2 * frame;
    for (let t = 0; t < this.size; t += 2) {
      input[index] = signal[start + t] * window[t];
      input[index + 1] = signal[start + t + 1] * window[t + 1];
      index += stride;
    }
  }

  /**
   * Power spectra |X[k]|² (k = 0 … n/2) of every frame in `input`, written to `output[k · batch + f]`.
   * `input` is overwritten.
   */
  powerBatch(output: Float64Array | Float32Array): void {
    const spectrum = this.transformPacked();
    const half = this.half;
    const batch = this.batch;
    const w = this.splitTwiddles;
    for (let f = 0; f < batch; f++) {
      const z0re = spectrum[2 * f];
      const z0im = spectrum[2 * f + 1];
      output[f] = (z0re + z0im) * (z0re + z0im);
      output[half * batch + f] = (z0re - z0im) * (z0re - z0im);
    }
    for (let k = 1; k < half; k++) {
      // X[k] = (Z[k] + conj Z[h−k]) / 2 − i·ω^k·(Z[k] − conj Z[h−k]) / 2, with Z the packed transform.
      const wre = w[2 * k];
      const wim = w[2 * k + 1];
      const direct = 2 * k * batch;
      const mirror = 2 * (half - k) * batch;
      const out = k * batch;
      for (let f = 0; f < batch; f++) {
        const are = spectrum[direct + 2 * f];
        const aim = spectrum[direct + 2 * f + 1];
        const bre = spectrum[mirror + 2 * f];
        const bim = spectrum[mirror + 2 * f + 1];
        const oddRe = 0.5 * (are - bre);
        const oddIm = 0.5 * (aim + bim);
        const re = 0.5 * (are + bre) + wre * oddIm + wim * oddRe;
        const im = 0.5 * (aim - bim) - wre * oddRe + wim * oddIm;
        output[out + f] = re * re + im * im;
      }
    }
  }

  /** Power spectrum of one real frame `input[offset … offset + n)` (a plan with batch 1). */
  power(input: ArrayLike<number>, output: Float64Array | Float32Array, offset = 0): void {
    this.loadSingle(input, offset);
    this.powerBatch(output);
  }

  /** Complex spectrum X[k], k = 0 … n/2, of one real frame (a plan with batch 1). */
  transform(input: ArrayLike<number>, real: Float64Array | Float32Array, imaginary: Float64Array | Float32Array): void {
    this.loadSingle(input, 0);
    const spectrum = this.transformPacked();
    const half = this.half;
    const w = this.splitTwiddles;
    real[0] = spectrum[0] + spectrum[1];
    imaginary[0] = 0;
    real[half] = spectrum[0] - spectrum[1];
    imaginary[half] = 0;
    for (let k = 1; k < half; k++) {
      const mirror = 2 * (half - k);
      const are = spectrum[2 * k];
      const aim = spectrum[2 * k + 1];
      const bre = spectrum[mirror];
      const bim = spectrum[mirror + 1];
      const oddRe = 0.5 * (are - bre);
      const oddIm = 0.5 * (aim + bim);
      real[k] = 0.5 * (are + bre) + w[2 * k] * oddIm + w[2 * k + 1] * oddRe;
      imaginary[k] = 0.5 * (aim - bim) - w[2 * k] * oddRe + w[2 * k + 1] * oddIm;
    }
  }

  private loadSingle(input: ArrayLike<number>, offset: number): void {
    if (this.batch !== 1) throw new RangeError('power/transform take one frame: use a plan with batch 1');
    const target = this.input;
    for (let i = 0; i < this.size; i++) target[i] = input[offset + i];
  }

  /** FFT of `input` read as n/2 complex values per frame; returns the buffer holding the result. */
  private transformPacked(): Float64Array {
    let source = this.input;
    let target = this.scratch;
    for (const stage of this.stages) {
      switch (stage.radix) {
        case 4:
          radix4(stage, source, target);
          break;
        case 2:
          radix2(stage, source, target);
          break;
        case 5:
          radix5(stage, source, target);
          break;
        case 3:
          radix3(stage, source, target);
          break;
        default:
          radixGeneric(stage, source, target, this.generic);
      }
      const swap = source;
      source = target;
      target = swap;
    }
    return source;
  }
}

const cache = new Map<string, RealFft>();

/** The cached plan for `size` × `batch`: built once, reused for every frame of every signal. */
export function realFft(size: number, batch = 1): RealFft {
  const key = `${size}x${batch}`;
  let plan = cache.get(key);
  if (!plan) {
    plan = new RealFft(size, batch);
    cache.set(key, plan);
  }
  return plan;
}

/** Radices 4 first (fewest passes), then 2, 3, 5, then any remaining prime. */
export function factorize(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    factors.push(4);
    rest /= 4;
  }
  for (const radix of [2, 3, 5]) {
    while (rest % radix === 0) {
      factors.push(radix);
      rest /= radix;
    }
  }
  for (let radix = 7; rest > 1; radix += 2) {
    while (rest % radix === 0) {
      factors.push(radix);
      rest /= radix;
    }
  }
  return factors;
}

// Each butterfly reads x[q + s·(j + k·m)] (k < radix) and writes y[q + s·(radix·j + r)],
// multiplied by ω_N^(j·r): the decimation-in-frequency Stockham step, which sorts itself.

function radix2(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { span: m, stride: s, twiddles: t } = stage;
  for (let j = 0; j < m; j++) {
    const wr = t[2 * j];
    const wi = t[2 * j + 1];
    for (let q = 0; q < s; q++) {
      const a = 2 * (q + s * j);
      const b = 2 * (q + s * (j + m));
      const ar = x[a];
      const ai = x[a + 1];
      const br = x[b];
      const bi = x[b + 1];
      const out = 2 * (q + s * 2 * j);
      y[out] = ar + br;
      y[out + 1] = ai + bi;
      const dr = ar - br;
      const di = ai - bi;
      const out1 = out + 2 * s;
      y[out1] = dr * wr - di * wi;
      y[out1 + 1] = dr * wi + di * wr;
    }
  }
}

function radix3(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { span: m, stride: s, twiddles: t } = stage;
  const c = -0.5;
  const d = -Math.sqrt(3) / 2;
  for (let j = 0; j < m; j++) {
    const w1r = t[4 * j];
    const w1i = t[4 * j + 1];
    const w2r = t[4 * j + 2];
    const w2i = t[4 * j + 3];
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * j);
      const i1 = 2 * (q + s * (j + m));
      const i2 = 2 * (q + s * (j + 2 * m));
      const x0r = x[i0];
      const x0i = x[i0 + 1];
      const sr = x[i1] + x[i2];
      const si = x[i1 + 1] + x[i2 + 1];
      const dr = x[i1] - x[i2];
      const di = x[i1 + 1] - x[i2 + 1];
      const mr = x0r + c * sr;
      const mi = x0i + c * si;
      // ω₃ = c + i·d: X1 = m + i·d·diff, X2 = m − i·d·diff
      const b1r = mr - d * di;
      const b1i = mi + d * dr;
      const b2r = mr + d * di;
      const b2i = mi - d * dr;
      const out = 2 * (q + s * 3 * j);
      y[out] = x0r + sr;
      y[out + 1] = x0i + si;
      y[out + 2 * s] = b1r * w1r - b1i * w1i;
      y[out + 2 * s + 1] = b1r * w1i + b1i * w1r;
      y[out + 4 * s] = b2r * w2r - b2i * w2i;
      y[out + 4 * s + 1] = b2r * w2i + b2i * w2r;
    }
  }
}

function radix4(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { span: m, stride: s, twiddles: t } = stage;
  for (let j = 0; j < m; j++) {
    const w1r = t[6 * j];
    const w1i = t[6 * j + 1];
    const w2r = t[6 * j + 2];
    const w2i = t[6 * j + 3];
    const w3r = t[6 * j + 4];
    const w3i = t[6 * j + 5];
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * j);
      const i1 = i0 + 2 * s * m;
      const i2 = i1 + 2 * s * m;
      const i3 = i2 + 2 * s * m;
      const ar = x[i0] + x[i2];
      const ai = x[i0 + 1] + x[i2 + 1];
      const br = x[i0] - x[i2];
      const bi = x[i0 + 1] - x[i2 + 1];
      const cr = x[i1] + x[i3];
      const ci = x[i1 + 1] + x[i3 + 1];
      // (x1 − x3)·(−i)
      const dr = x[i1 + 1] - x[i3 + 1];
      const di = x[i3] - x[i1];
      const out = 2 * (q + s * 4 * j);
      y[out] = ar + cr;
      y[out + 1] = ai + ci;
      const y1r = br + dr;
      const y1i = bi + di;
      const y2r = ar - cr;
      const y2i = ai - ci;
      const y3r = br - dr;
      const y3i = bi - di;
      y[out + 2 * s] = y1r * w1r - y1i * w1i;
      y[out + 2 * s + 1] = y1r * w1i + y1i * w1r;
      y[out + 4 * s] = y2r * w2r - y2i * w2i;
      y[out + 4 * s + 1] = y2r * w2i + y2i * w2r;
      y[out + 6 * s] = y3r * w3r - y3i * w3i;
      y[out + 6 * s + 1] = y3r * w3i + y3i * w3r;
    }
  }
}

const C1 = Math.cos((2 * Math.PI) / 5);
const C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5);
const S2 = Math.sin((4 * Math.PI) / 5);

function radix5(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { span: m, stride: s, twiddles: t } = stage;
  const step = 2 * s * m;
  for (let j = 0; j < m; j++) {
    const tw = 8 * j;
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * j);
      const x0r = x[i0];
      const x0i = x[i0 + 1];
      const x1r = x[i0 + step];
      const x1i = x[i0 + step + 1];
      const x2r = x[i0 + 2 * step];
      const x2i = x[i0 + 2 * step + 1];
      const x3r = x[i0 + 3 * step];
      const x3i = x[i0 + 3 * step + 1];
      const x4r = x[i0 + 4 * step];
      const x4i = x[i0 + 4 * step + 1];
      const s14r = x1r + x4r;
      const s14i = x1i + x4i;
      const d14r = x1r - x4r;
      const d14i = x1i - x4i;
      const s23r = x2r + x3r;
      const s23i = x2i + x3i;
      const d23r = x2r - x3r;
      const d23i = x2i - x3i;
      const m1r = x0r + C1 * s14r + C2 * s23r;
      const m1i = x0i + C1 * s14i + C2 * s23i;
      const m2r = x0r + C2 * s14r + C1 * s23r;
      const m2i = x0i + C2 * s14i + C1 * s23i;
      // Forward transform: the sine terms carry −i.
      const n1r = S1 * d14i + S2 * d23i;
      const n1i = -(S1 * d14r + S2 * d23r);
      const n2r = S2 * d14i - S1 * d23i;
      const n2i = -(S2 * d14r - S1 * d23r);
      const out = 2 * (q + s * 5 * j);
      y[out] = x0r + s14r + s23r;
      y[out + 1] = x0i + s14i + s23i;
      twiddleStore(y, out + 2 * s, m1r + n1r, m1i + n1i, t[tw], t[tw + 1]);
      twiddleStore(y, out + 4 * s, m2r + n2r, m2i + n2i, t[tw + 2], t[tw + 3]);
      twiddleStore(y, out + 6 * s, m2r - n2r, m2i - n2i, t[tw + 4], t[tw + 5]);
      twiddleStore(y, out + 8 * s, m1r - n1r, m1i - n1i, t[tw + 6], t[tw + 7]);
    }
  }
}

function twiddleStore(y: Float64Array, index: number, re: number, im: number, wr: number, wi: number): void {
  y[index] = re * wr - im * wi;
  y[index + 1] = re * wi + im * wr;
}

/** Any radix by a direct DFT of the butterfly's inputs: correct for primes ≥ 7, not tuned. */
function radixGeneric(stage: Stage, x: Float64Array, y: Float64Array, scratch: Float64Array): void {
  const { radix: p, span: m, stride: s, twiddles: t } = stage;
  for (let j = 0; j < m; j++) {
    for (let q = 0; q < s; q++) {
      for (let k = 0; k < p; k++) {
        const index = 2 * (q + s * (j + k * m));
        scratch[2 * k] = x[index];
        scratch[2 * k + 1] = x[index + 1];
      }
      for (let r = 0; r < p; r++) {
        let re = 0;
        let im = 0;
        for (let k = 0; k < p; k++) {
          const angle = (-2 * Math.PI * ((r * k) % p)) / p;
          const c = Math.cos(angle);
          const d = Math.sin(angle);
          re += scratch[2 * k] * c - scratch[2 * k + 1] * d;
          im += scratch[2 * k] * d + scratch[2 * k + 1] * c;
        }
        const out = 2 * (q + s * (p * j + r));
        if (r === 0) {
          y[out] = re;
          y[out + 1] = im;
        } else {
          const tw = 2 * (j * (p - 1) + r - 1);
          twiddleStore(y, out, re, im, t[tw], t[tw + 1]);
        }
      }
    }
  }
}
