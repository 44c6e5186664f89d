/** Small measurements on synthesised audio, shared by the espeak tests. */

export function rootMeanSquare(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Normalised correlation of two equally long stretches of audio (1: the same waveform). */
export function correlation(first: Float32Array, second: Float32Array): number {
  let dot = 0;
  let firstEnergy = 0;
  let secondEnergy = 0;
  for (let index = 0; index < Math.min(first.length, second.length); index++) {
    dot += first[index] * second[index];
    firstEnergy += first[index] ** 2;
    secondEnergy += second[index] ** 2;
  }
  return dot / Math.sqrt(firstEnergy * secondEnergy + 1e-12);
}

/** The samples between the first and last that exceed `threshold` in magnitude (from 0 with `keepStart`). */
export function trimQuiet(samples: Float32Array, threshold = 0.01, keepStart = false): Float32Array {
  let start = 0;
  while (!keepStart && start < samples.length && Math.abs(samples[start]) < threshold) start++;
  let end = samples.length;
  while (end > start && Math.abs(samples[end - 1]) < threshold) end--;
  return samples.subarray(start, end);
}
