/** Frame-level CTC emissions (wav2vec2-style), the input of forced alignment. */
import type { CallOptions, ModelDescription } from './common.ts';

export interface CtcEmissions {
  /** Log-probabilities, row-major [frames, classes]. */
  logProbabilities: Float32Array;
  frames: number;
  classes: number;
  /** Seconds of audio each frame stands for. */
  secondsPerFrame: number;
}

export interface CtcModel {
  readonly description: ModelDescription;
  /** The class labels, index = class id (e.g. letters and `|` for the word boundary). */
  readonly vocabulary: readonly string[];
  readonly blankId: number;
  emissions(samples: Float32Array, sampleRate: number, options?: CallOptions): Promise<CtcEmissions>;
}
