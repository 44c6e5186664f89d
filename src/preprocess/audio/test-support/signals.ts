/** Small signal comparisons for the audio tests. */

/** Normalised cross-correlation and least-squares gain of `decoded` against `reference` at `offset`. */
export function correlation(
  decoded: Float32Array,
  reference: Float32Array,
  offset = 0,
): { correlation: number; gain: number } {
  let cross = 0;
  let decodedEnergy = 0;
  let referenceEnergy = 0;
  for (let i = 0; i < decoded.length; i++) {
    const j = i + offset;
    if (j < 0 || j >= reference.length) continue;
    cross += decoded[i] * reference[j];
    decodedEnergy += decoded[i] ** 2;
    referenceEnergy += reference[j] ** 2;
  }
  return { correlation: cross / Math.sqrt(decodedEnergy * referenceEnergy), gain: cross / referenceEnergy };
}

export function maxAbsoluteDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
