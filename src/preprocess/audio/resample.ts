/**
 * Band-limited resampling by windowed-sinc interpolation, evaluated as a polyphase filter bank.
 *
 * The kernel is the one torchaudio's `functional.resample` builds (same time grid, cutoff, window and
 * zero padding at both ends), so our output matches torchaudio's to float precision for the same
 * parameters (100–140 dB SNR). Only the taps inside the window's support are stored, and the dot
 * products run in a WebAssembly SIMD kernel (`polyphase-wasm.ts`), with a scalar fallback. Two designs:
 * - `best` (default): Kaiser window, 64 zero crossings, rolloff 0.9475937, beta 14.7697 — librosa's
 *   historical `kaiser_best`. Alias-free: tones above the new Nyquist are attenuated by > 140 dB.
 *   Mel features from it are within 0.07 dB (mean) of features from torchaudio's default resampler.
 * - `fast`: torchaudio's default (Hann window, 6 zero crossings, rolloff 0.99). About 4× cheaper, but
 *   it droops above 0.85 × Nyquist and lets tones just above the new Nyquist through (−8 dB at 8.2 kHz
 *   for 16 kHz output).
 */
import { MmkitError } from '../../errors.ts';
import { type PackedBank, packBank, runPolyphaseSimd, simdKernel } from './polyphase-wasm.ts';

export type ResampleQuality = 'best' | 'fast';

export interface ResampleOptions {
  quality?: ResampleQuality;
}

interface FilterDesign {
  /** Zero crossings of the sinc on each side of the centre. */
  lowpassFilterWidth: number;
  /** Cutoff as a fraction of the lower Nyquist frequency. */
  rolloff: number;
  window: 'hann' | 'kaiser';
  beta: number;
}

const DESIGNS: Record<ResampleQuality, FilterDesign> = {
  best: { lowpassFilterWidth: 64, rolloff: 0.9475937167399596, window: 'kaiser', beta: 14.769656459379492 },
  fast: { lowpassFilterWidth: 6, rolloff: 0.99, window: 'hann', beta: 0 },
};

/** One filter per output phase; only the taps inside the window's support are stored. */
interface FilterBank {
  /** Reduced rates: every `outStep` outputs consume `inStep` inputs. */
  inStep: number;
  outStep: number;
  /** Zero padding before the signal (torchaudio's `width`). */
  padding: number;
  /** For phase p: taps `coefficients[offsets[p] .. offsets[p] + counts[p])` apply to padded input `firstTap[p] + c`. */
  firstTap: Int32Array;
  counts: Int32Array;
  offsets: Int32Array;
  coefficients: Float64Array;
  /** Largest tap index any phase reads, plus one. */
  span: number;
  /** The same taps laid out for the WebAssembly kernel, made on first use. */
  packed?: PackedBank;
}

const bankCache = new Map<string, FilterBank>();
const BANK_CACHE_SIZE = 8;
/** Pathological rate pairs (huge reduced ratios) would need hundreds of MB of taps: refuse rather than thrash. */
const MAX_BANK_COEFFICIENTS = 32_000_000;

/**
 * Resamples mono `samples` from `fromRate` to `toRate` (integer Hz). Output length is
 * `ceil(length × toRate / fromRate)`, as torchaudio's. Returns a copy when the rates are equal.
 */
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  checkRate(fromRate, 'fromRate');
  checkRate(toRate, 'toRate');
  if (fromRate === toRate) return samples.slice();
  const bank = filterBank(fromRate, toRate, options.quality ?? 'best');
  const kernel = simdKernel();
  if (kernel === null) return applyFilterBank(samples, bank);
  const output = new Float32Array(outputLength(samples.length, bank));
  bank.packed ??= packBank(bank.firstTap, bank.counts, bank.offsets, bank.coefficients);
  runPolyphaseSimd(kernel, samples, output, { ...bank, packed: bank.packed });
  return output;
}

/** The portable scalar path (float64 accumulation), used where WebAssembly SIMD is missing; exported for tests. */
export function resampleScalar(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  checkRate(fromRate, 'fromRate');
  checkRate(toRate, 'toRate');
  if (fromRate === toRate) return samples.slice();
  return applyFilterBank(samples, filterBank(fromRate, toRate, options.quality ?? 'best'));
}

function outputLength(inputLength: number, bank: FilterBank): number {
  return Math.ceil((bank.outStep * inputLength) / bank.inStep);
}

function checkRate(rate: number, param: string): void {
  if (!Number.isInteger(rate) || rate <= 0 || rate > 10_000_000) {
    throw new MmkitError(`${param} must be a positive integer number of Hz, got ${rate}`, {
      code: 'invalid_sample_rate',
      param,
    });
  }
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function filterBank(fromRate: number, toRate: number, quality: ResampleQuality): FilterBank {
  const key = `${fromRate}:${toRate}:${quality}`;
  const cached = bankCache.get(key);
  if (cached) {
    // Refresh its position so the cache evicts the least recently used bank.
    bankCache.delete(key);
    bankCache.set(key, cached);
    return cached;
  }
  const bank = buildFilterBank(fromRate, toRate, DESIGNS[quality]);
  bankCache.set(key, bank);
  if (bankCache.size > BANK_CACHE_SIZE) bankCache.delete(bankCache.keys().next().value as string);
  return bank;
}

function buildFilterBank(fromRate: number, toRate: number, design: FilterDesign): FilterBank {
  const divisor = greatestCommonDivisor(fromRate, toRate);
  const inStep = fromRate / divisor;
  const outStep = toRate / divisor;
  const { lowpassFilterWidth, rolloff } = design;
  const baseFrequency = Math.min(inStep, outStep) * rolloff;
  const padding = Math.ceil((lowpassFilterWidth * inStep) / baseFrequency);
  const kernelLength = 2 * padding + inStep;
  const tapsPerPhase = Math.ceil((2 * lowpassFilterWidth * inStep) / baseFrequency) + 2;
  if (tapsPerPhase * outStep > MAX_BANK_COEFFICIENTS) {
    throw new MmkitError(
      `resampling ${fromRate} Hz → ${toRate} Hz needs too large a filter (the reduced ratio ${inStep}:${outStep} is too fine)`,
      { code: 'unsupported_sample_rate', type: 'unsupported_error' },
    );
  }
  const windowNormaliser = design.window === 'kaiser' ? besselI0(design.beta) : 1;
  const scale = baseFrequency / inStep;
  const firstTap = new Int32Array(outStep);
  const counts = new Int32Array(outStep);
  const offsets = new Int32Array(outStep);
  const coefficients = new Float64Array(tapsPerPhase * outStep);
  let used = 0;
  let span = 0;
  for (let phase = 0; phase < outStep; phase++) {
    offsets[phase] = used;
    let first = -1;
    for (let tap = 0; tap < kernelLength; tap++) {
      // Distance from the output instant to input sample `tap`, in units where the cutoff period is 1.
      const t = (-phase / outStep + (tap - padding) / inStep) * baseFrequency;
      // Outside |t| < width torchaudio's kernel is zero up to rounding (window or sinc vanish there).
      if (Math.abs(t) >= lowpassFilterWidth) {
        if (first >= 0) break;
        continue;
      }
      if (first < 0) first = tap;
      let window: number;
      if (design.window === 'hann') {
        const c = Math.cos((t * Math.PI) / lowpassFilterWidth / 2);
        window = c * c;
      } else {
        const ratio = t / lowpassFilterWidth;
        window = besselI0(design.beta * Math.sqrt(1 - ratio * ratio)) / windowNormaliser;
      }
      const x = t * Math.PI;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      coefficients[used++] = sinc * window * scale;
    }
    firstTap[phase] = Math.max(first, 0);
    counts[phase] = used - offsets[phase];
    span = Math.max(span, firstTap[phase] + counts[phase]);
  }
  return { inStep, outStep, padding, firstTap, counts, offsets, coefficients, span };
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the betas used). */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function applyFilterBank(samples: Float32Array, bank: FilterBank): Float32Array {
  const { inStep, outStep, padding, firstTap, counts, offsets, coefficients, span } = bank;
  const length = outputLength(samples.length, bank);
  const output = new Float32Array(length);
  if (length === 0) return output;
  const blocks = Math.ceil(length / outStep);
  // Zero-padded copy so the inner loop needs no bounds checks at the edges.
  const padded = new Float32Array(Math.max((blocks - 1) * inStep + span, padding + samples.length));
  padded.set(samples, padding);
  let outIndex = 0;
  for (let block = 0; block < blocks && outIndex < length; block++) {
    const base = block * inStep;
    for (let phase = 0; phase < outStep && outIndex < length; phase++) {
      const start = base + firstTap[phase];
      const offset = offsets[phase];
      const count = counts[phase];
      let sum = 0;
      for (let c = 0; c < count; c++) sum += padded[start + c] * coefficients[offset + c];
      output[outIndex++] = sum;
    }
  }
  return output;
}
