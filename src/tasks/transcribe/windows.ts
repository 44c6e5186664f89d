/**
 * Where to cut long audio for a model that hears at most 30 s at a time. Windows are `windowSeconds`
 * long and consecutive windows overlap by at least 2 × `strideSeconds` (the stride on each side), so
 * a word cut at one window's edge is heard whole in the neighbouring window; the last window is
 * pulled back to end exactly at the end of the audio, so it is never a short scrap.
 */

export interface WindowOptions {
  /** Longest window (default 30 s, Whisper's input length). */
  windowSeconds?: number;
  /** Overlap kept on each side of a cut (default 5 s). */
  strideSeconds?: number;
}

export interface AudioWindow {
  index: number;
  /** Sample range [startSample, endSample). */
  startSample: number;
  endSample: number;
  /** The same range in seconds. */
  start: number;
  end: number;
}

export function planWindows(totalSamples: number, sampleRate: number, options: WindowOptions = {}): AudioWindow[] {
  const { windowSeconds = 30, strideSeconds = 5 } = options;
  if (!(windowSeconds > 0) || !(strideSeconds >= 0) || 2 * strideSeconds >= windowSeconds) {
    throw new RangeError(`invalid windows: ${windowSeconds} s long with ${strideSeconds} s stride on each side`);
  }
  if (!Number.isInteger(totalSamples) || totalSamples < 0 || !(sampleRate > 0)) {
    throw new RangeError(`invalid audio: ${totalSamples} samples at ${sampleRate} Hz`);
  }
  const windowSamples = Math.round(windowSeconds * sampleRate);
  const stepSamples = windowSamples - Math.round(2 * strideSeconds * sampleRate);
  const starts: number[] = [];
  if (totalSamples <= windowSamples) {
    starts.push(0);
  } else {
    for (let start = 0; start + windowSamples < totalSamples; start += stepSamples) starts.push(start);
    starts.push(totalSamples - windowSamples);
  }
  return starts.map((startSample, index) => {
    const endSample = Math.min(totalSamples, startSample + windowSamples);
    return { index, startSample, endSample, start: startSample / sampleRate, end: endSample / sampleRate };
  });
}
