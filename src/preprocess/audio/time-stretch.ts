/**
 * Speech made faster or slower without changing its pitch (WSOLA: waveform-similarity overlap-add).
 * Output frames are Hann-windowed at half-frame hops; each is read from the input near where the
 * speed says it should be, shifted by up to a quarter frame to the position whose waveform best
 * continues the previous frame (cross-correlation), so periods line up and nothing phases or clicks.
 * Resampling would be simpler but would shift the voice up or down with the speed.
 */

export interface TimeStretchOptions {
  /** Frame length in seconds (default 0.03: a few pitch periods of speech). */
  frameSeconds?: number;
}

/** `speed` 2 → half as long; 0.5 → twice as long. Returns a new array (a copy at speed 1). */
export function timeStretch(
  samples: Float32Array,
  sampleRate: number,
  speed: number,
  options: TimeStretchOptions = {},
): Float32Array {
  if (!(speed >= 0.25 && speed <= 4)) throw new RangeError(`speed must be between 0.25 and 4, got ${speed}`);
  if (speed === 1 || samples.length === 0) return samples.slice();
  const frame = Math.max(8, 2 * Math.round(((options.frameSeconds ?? 0.03) * sampleRate) / 2));
  const hop = frame / 2;
  const tolerance = Math.floor(frame / 4);
  const outputLength = Math.round(samples.length / speed);
  const output = new Float32Array(outputLength + frame);
  const window = new Float32Array(frame);
  // Periodic Hann: windows at half-frame hops sum to exactly 1.
  for (let index = 0; index < frame; index++) window[index] = 0.5 - 0.5 * Math.cos((2 * Math.PI * index) / frame);
  const at = (position: number) => (position >= 0 && position < samples.length ? samples[position] : 0);

  let previous = 0;
  for (let outputStart = 0; outputStart < outputLength; outputStart += hop) {
    const ideal = Math.round(outputStart * speed);
    let chosen = ideal;
    if (outputStart > 0) {
      // The natural continuation of the previous frame, compared over the overlapping half.
      const continuation = previous + hop;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let shift = -tolerance; shift <= tolerance; shift++) {
        const candidate = ideal + shift;
        let score = 0;
        for (let index = 0; index < hop; index++) score += at(candidate + index) * at(continuation + index);
        if (score > bestScore) {
          bestScore = score;
          chosen = candidate;
        }
      }
    }
    for (let index = 0; index < frame; index++) output[outputStart + index] += window[index] * at(chosen + index);
    previous = chosen;
  }
  // The first half frame had no window before it to sum with: restore its level.
  for (let index = 0; index < Math.min(hop, outputLength); index++) {
    output[index] = window[index] > 1e-3 ? output[index] / window[index] : at(index);
  }
  return output.slice(0, outputLength);
}
