/**
 * Mel filter banks as librosa builds them (`librosa.filters.mel`, defaults htk=False, norm='slaney'),
 * which is also what Whisper ships in its `mel_filters.npz` (80 and 128 mels, n_fft 400, fmax 8000).
 * Kept sparse: each triangular filter covers only a few FFT bins.
 */

export type MelScale = 'slaney' | 'htk';

export interface MelFilterOptions {
  sampleRate: number;
  nFft: number;
  nMels: number;
  fmin?: number;
  /** Defaults to sampleRate / 2. */
  fmax?: number;
  scale?: MelScale;
  /** 'slaney' divides each triangle by its width in Hz (constant energy per channel); null keeps peaks at 1. */
  norm?: 'slaney' | null;
}

export interface MelFilterBank {
  nMels: number;
  /** n_fft / 2 + 1 */
  nBins: number;
  /** Filter i has weights for bins firstBin[i] … firstBin[i] + (offset[i+1] − offset[i]) − 1. */
  firstBin: Int32Array;
  offset: Int32Array;
  weights: Float64Array;
}

// Slaney's Auditory Toolbox scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
const LINEAR_STEP = 200 / 3;
const LOG_START_HZ = 1000;
const LOG_START_MEL = LOG_START_HZ / LINEAR_STEP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  if (hz >= LOG_START_HZ) return LOG_START_MEL + Math.log(hz / LOG_START_HZ) / LOG_STEP;
  return hz / LINEAR_STEP;
}

export function melToHz(mel: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  if (mel >= LOG_START_MEL) return LOG_START_HZ * Math.exp(LOG_STEP * (mel - LOG_START_MEL));
  return LINEAR_STEP * mel;
}

const cache = new Map<string, MelFilterBank>();

/** The filter bank for these options, built once and cached. */
export function melFilterBank(options: MelFilterOptions): MelFilterBank {
  const { sampleRate, nFft, nMels } = options;
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? sampleRate / 2;
  const scale = options.scale ?? 'slaney';
  const norm = options.norm === undefined ? 'slaney' : options.norm;
  const key = [sampleRate, nFft, nMels, fmin, fmax, scale, norm].join('|');
  const cached = cache.get(key);
  if (cached) return cached;

  const nBins = Math.floor(nFft / 2) + 1;
  // n_mels + 2 points evenly spaced in mel: filter i rises from edge i to i+1 and falls to i+2.
  const lowMel = hzToMel(fmin, scale);
  const highMel = hzToMel(fmax, scale);
  const edges = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) edges[i] = melToHz(lowMel + ((highMel - lowMel) * i) / (nMels + 1), scale);

  const firstBin = new Int32Array(nMels);
  const offset = new Int32Array(nMels + 1);
  const collected: number[] = [];
  for (let i = 0; i < nMels; i++) {
    const left = edges[i];
    const centre = edges[i + 1];
    const right = edges[i + 2];
    const scaleFactor = norm === 'slaney' ? 2 / (right - left) : 1;
    let first = -1;
    let last = -1;
    const row: number[] = [];
    for (let bin = 0; bin < nBins; bin++) {
      const frequency = (bin * sampleRate) / nFft;
      const rising = (frequency - left) / (centre - left);
      const falling = (right - frequency) / (right - centre);
      const weight = Math.max(0, Math.min(rising, falling));
      if (weight > 0) {
        if (first < 0) first = bin;
        last = bin;
      }
      row.push(weight * scaleFactor);
    }
    // A filter narrower than one bin (many mels, small n_fft) is empty, as in librosa.
    if (first < 0) {
      firstBin[i] = 0;
      offset[i + 1] = collected.length;
      continue;
    }
    firstBin[i] = first;
    for (let bin = first; bin <= last; bin++) collected.push(row[bin]);
    offset[i + 1] = collected.length;
  }
  const bank: MelFilterBank = { nMels, nBins, firstBin, offset, weights: Float64Array.from(collected) };
  cache.set(key, bank);
  return bank;
}

/** The bank as a dense [nMels, nBins] matrix (row-major), e.g. to compare with a reference. */
export function denseMelFilters(bank: MelFilterBank): Float64Array {
  const dense = new Float64Array(bank.nMels * bank.nBins);
  for (let i = 0; i < bank.nMels; i++) {
    for (let j = bank.offset[i]; j < bank.offset[i + 1]; j++) {
      dense[i * bank.nBins + bank.firstBin[i] + j - bank.offset[i]] = bank.weights[j];
    }
  }
  return dense;
}
