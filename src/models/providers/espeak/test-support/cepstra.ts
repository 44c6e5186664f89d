/**
 * Mel-frequency cepstral coefficients and dynamic time warping: the two halves of a classic template
 * word recogniser, used by the tests to check that synthesised speech says what it should.
 * 25 ms frames every 10 ms, 24 mel bands up to 3.8 kHz (telephone band, so any rate ≥ 8 kHz works),
 * 12 cepstra without c0, mean-normalised per utterance (removes the voice's fixed spectral tilt).
 */

const BANDS = 24;
const CEPSTRA = 12;
const LOW_HZ = 100;
const HIGH_HZ = 3800;

export function cepstra(samples: Float32Array, sampleRate: number): Float32Array[] {
  const frameLength = Math.round(0.025 * sampleRate);
  const hop = Math.round(0.01 * sampleRate);
  let size = 1;
  while (size < frameLength) size *= 2;
  const filters = melFilters(size, sampleRate);
  const window = Float64Array.from(
    { length: frameLength },
    (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (frameLength - 1)),
  );
  const frames: Float32Array[] = [];
  const real = new Float64Array(size);
  const imaginary = new Float64Array(size);
  for (let start = 0; start + frameLength <= samples.length; start += hop) {
    real.fill(0);
    imaginary.fill(0);
    for (let n = 0; n < frameLength; n++) {
      // Pre-emphasis flattens the speech spectrum's natural downward slope.
      const previous = start + n > 0 ? samples[start + n - 1] : 0;
      real[n] = (samples[start + n] - 0.97 * previous) * window[n];
    }
    fft(real, imaginary);
    const energies = filters.map((filter) => {
      let sum = 1e-10;
      for (const [bin, weight] of filter) sum += weight * (real[bin] ** 2 + imaginary[bin] ** 2);
      return Math.log(sum);
    });
    const coefficients = new Float32Array(CEPSTRA);
    for (let k = 1; k <= CEPSTRA; k++) {
      let sum = 0;
      for (let band = 0; band < BANDS; band++) sum += energies[band] * Math.cos((Math.PI * k * (band + 0.5)) / BANDS);
      coefficients[k - 1] = sum;
    }
    frames.push(coefficients);
  }
  const mean = new Float32Array(CEPSTRA);
  for (const frame of frames) for (let k = 0; k < CEPSTRA; k++) mean[k] += frame[k] / frames.length;
  for (const frame of frames) for (let k = 0; k < CEPSTRA; k++) frame[k] -= mean[k];
  return frames;
}

/** Average frame distance along the best monotonic alignment of two feature sequences. */
export function dynamicTimeWarpingDistance(first: Float32Array[], second: Float32Array[]): number {
  const columns = second.length;
  let previous = new Float64Array(columns + 1).fill(Number.POSITIVE_INFINITY);
  let previousSteps = new Float64Array(columns + 1);
  previous[0] = 0;
  for (let i = 1; i <= first.length; i++) {
    const current = new Float64Array(columns + 1).fill(Number.POSITIVE_INFINITY);
    const currentSteps = new Float64Array(columns + 1);
    for (let j = 1; j <= columns; j++) {
      const cost = distance(first[i - 1], second[j - 1]);
      // Diagonal, vertical, horizontal: keep the cheapest and count the steps for normalisation.
      const options: Array<[number, number]> = [
        [previous[j - 1], previousSteps[j - 1]],
        [previous[j], previousSteps[j]],
        [current[j - 1], currentSteps[j - 1]],
      ];
      let best = options[0];
      for (const option of options) if (option[0] < best[0]) best = option;
      current[j] = best[0] + cost;
      currentSteps[j] = best[1] + 1;
    }
    previous = current;
    previousSteps = currentSteps;
  }
  return previous[columns] / previousSteps[columns];
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k] - b[k]) ** 2;
  return Math.sqrt(sum);
}

function melFilters(size: number, sampleRate: number): Array<Array<[number, number]>> {
  const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
  const toHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);
  const edges = Array.from({ length: BANDS + 2 }, (_, index) =>
    toHz(toMel(LOW_HZ) + ((toMel(HIGH_HZ) - toMel(LOW_HZ)) * index) / (BANDS + 1)),
  );
  return Array.from({ length: BANDS }, (_, band) => {
    const filter: Array<[number, number]> = [];
    for (let bin = 0; bin <= size / 2; bin++) {
      const hz = (bin * sampleRate) / size;
      const rising = (hz - edges[band]) / (edges[band + 1] - edges[band]);
      const falling = (edges[band + 2] - hz) / (edges[band + 2] - edges[band + 1]);
      const weight = Math.min(rising, falling);
      if (weight > 0) filter.push([bin, weight]);
    }
    return filter;
  });
}

/** In-place iterative radix-2 FFT. */
function fft(real: Float64Array, imaginary: Float64Array): void {
  const n = real.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [real[i], real[j]] = [real[j], real[i]];
      [imaginary[i], imaginary[j]] = [imaginary[j], imaginary[i]];
    }
  }
  for (let length = 2; length <= n; length <<= 1) {
    const angle = (-2 * Math.PI) / length;
    for (let start = 0; start < n; start += length) {
      for (let k = 0; k < length / 2; k++) {
        const cos = Math.cos(angle * k);
        const sin = Math.sin(angle * k);
        const a = start + k;
        const b = a + length / 2;
        const tr = real[b] * cos - imaginary[b] * sin;
        const ti = real[b] * sin + imaginary[b] * cos;
        real[b] = real[a] - tr;
        imaginary[b] = imaginary[a] - ti;
        real[a] += tr;
        imaginary[a] += ti;
      }
    }
  }
}
