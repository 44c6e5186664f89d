/**
 * The butterfly passes of `fft.ts`: one self-sorting (Stockham) decimation-in-frequency pass per radix.
 */

export interface Stage {
  radix: number;
  /** Butterflies per stage group (N / radix, where N is the sub-transform length at this stage). */
  span: number;
  /** Distance between consecutive sub-transforms (the product of the radices before this one). */
  stride: number;
  /** Interleaved (re, im) twiddles ω_N^(j·r) for j < span, 1 ≤ r < radix, laid out [j][r-1]. */
  twiddles: Float64Array;
}

// Each butterfly reads x[q + s·(j + k·m)] (k < radix) and writes y[q + s·(radix·j + r)],
// multiplied by ω_N^(j·r): the decimation-in-frequency Stockham step, which sorts itself.

export function radix2(stage: Stage, x: Float64Array, y: Float64Array): void {
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

export function radix3(stage: Stage, x: Float64Array, y: Float64Array): void {
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

export function radix4(stage: Stage, x: Float64Array, y: Float64Array): void {
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

export function radix5(stage: Stage, x: Float64Array, y: Float64Array): void {
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
export function radixGeneric(stage: Stage, x: Float64Array, y: Float64Array, scratch: Float64Array): void {
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
