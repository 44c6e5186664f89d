/**
 * CTC Viterbi forced alignment (Graves et al. 2006, "Connectionist Temporal Classification", §4.1,
 * with max in place of sum). The label sequence l (length L) is interleaved with blanks into
 * l' = [b, l1, b, l2, …, lL, b] (S = 2L + 1 states). At each frame a path stays in its state,
 * advances by one, or skips a blank (s − 2 → s) when l'_s is a label that differs from l'_{s−2};
 * so two equal labels in a row need a blank between them. A path starts in state 0 or 1 and ends
 * in S − 1 or S − 2. All in log space.
 *
 * Memory: two rows of S float64 scores, plus one 2-bit backpointer per (frame, state) packed four
 * to a byte, i.e. T·⌈S/4⌉ bytes (60 s of speech, 3000 frames × 1801 states: 1.4 MB). The default
 * budget of 512 MiB holds T·S ≈ 2.1·10⁹ cells: e.g. 15 minutes (45 000 frames at 20 ms) of speech at
 * 15 characters per second (S ≈ 27 000). Beyond it the call fails with an `MmkitError`.
 *
 * Ties: the backtrack prefers staying, then advancing by one, then skipping, so among equal-score
 * paths it returns the one whose state sequence, read from the last frame backwards, is largest.
 */
import { MmkitError } from '../../errors.ts';

export interface EmissionMatrix {
  /** Log-probabilities, row-major [frames, classes]. */
  logProbabilities: Float32Array;
  frames: number;
  classes: number;
}

export interface ViterbiOptions {
  /** Refuse trellises whose backpointers would take more bytes than this (default 512 MiB). */
  maxTrellisBytes?: number;
}

export interface ViterbiPath {
  /** The trellis state per frame: odd state 2i + 1 is label i, even states are blanks. */
  states: Int32Array;
  /** The class id emitted at each frame (a label or the blank). */
  classes: Int32Array;
  /** Sum of the log-probabilities along the path. */
  logProbability: number;
}

export const DEFAULT_MAX_TRELLIS_BYTES = 512 * 1024 * 1024;

/** The fewest frames a CTC path through `labels` can take: one per label, plus a blank between equal neighbours. */
export function minimumFrames(labels: ArrayLike<number>): number {
  let frames = labels.length;
  for (let index = 1; index < labels.length; index++) if (labels[index] === labels[index - 1]) frames++;
  return frames;
}

export function trellisBytes(frames: number, labelCount: number): number {
  return frames * Math.ceil((2 * labelCount + 1) / 4);
}

export function viterbiAlign(
  emissions: EmissionMatrix,
  labels: ArrayLike<number>,
  blankId: number,
  options: ViterbiOptions = {},
): ViterbiPath {
  const { logProbabilities, frames, classes } = emissions;
  const labelCount = labels.length;
  checkInputs(emissions, labels, blankId);
  const needed = minimumFrames(labels);
  if (frames < needed) {
    throw new MmkitError(`the audio has ${frames} frames but the transcript needs at least ${needed}`, {
      code: 'audio_too_short',
      param: 'audio',
    });
  }
  const budget = options.maxTrellisBytes ?? DEFAULT_MAX_TRELLIS_BYTES;
  const stride = Math.ceil((2 * labelCount + 1) / 4);
  if (frames * stride > budget) {
    throw new MmkitError(
      `alignment of ${frames} frames against ${labelCount} characters needs ${Math.ceil((frames * stride) / 2 ** 20)} MiB, over the ${Math.floor(budget / 2 ** 20)} MiB limit: split the audio and transcript`,
      { code: 'alignment_too_large', param: 'audio' },
    );
  }
  const states = 2 * labelCount + 1;
  // Whether state s may be entered from s − 2: a label that differs from the label before it.
  const canSkip = new Uint8Array(states);
  const stateClass = new Int32Array(states).fill(blankId);
  for (let index = 0; index < labelCount; index++) {
    stateClass[2 * index + 1] = labels[index];
    canSkip[2 * index + 1] = index > 0 && labels[index] !== labels[index - 1] ? 1 : 0;
  }
  const pointers = new Uint8Array(frames * stride);
  let previous = new Float64Array(states).fill(Number.NEGATIVE_INFINITY);
  let current = new Float64Array(states).fill(Number.NEGATIVE_INFINITY);
  previous[0] = logProbabilities[blankId];
  previous[1] = logProbabilities[labels[0]];

  for (let frame = 1; frame < frames; frame++) {
    const row = frame * classes;
    // States that can be reached by this frame and can still reach the end in the frames left.
    const high = Math.min(states - 1, 2 * frame + 1);
    const low = Math.max(0, states - 2 * (frames - frame));
    // Cells below the band still hold scores from two frames back: make sure none is ever used.
    for (let state = Math.max(0, low - 4); state < low; state++) current[state] = Number.NEGATIVE_INFINITY;
    const pointerRow = frame * stride;
    const blankScore = logProbabilities[row + blankId];
    let packed = 0;
    for (let state = low; state <= high; state++) {
      let best = previous[state];
      let choice = 0;
      if ((state & 1) === 0) {
        // A blank is entered from itself or from the label before it.
        if (state > 0 && previous[state - 1] > best) {
          best = previous[state - 1];
          choice = 1;
        }
        current[state] = best + blankScore;
      } else {
        const advance = previous[state - 1];
        if (advance > best) {
          best = advance;
          choice = 1;
        }
        if (canSkip[state] === 1 && previous[state - 2] > best) {
          best = previous[state - 2];
          choice = 2;
        }
        current[state] = best + logProbabilities[row + stateClass[state]];
      }
      packed |= choice << ((state & 3) << 1);
      if ((state & 3) === 3 || state === high) {
        pointers[pointerRow + (state >> 2)] = packed;
        packed = 0;
      }
    }
    const swap = previous;
    previous = current;
    current = swap;
  }

  let state = states - 1;
  if (states > 1 && previous[states - 2] > previous[states - 1]) state = states - 2;
  const logProbability = previous[state];
  if (!(logProbability > Number.NEGATIVE_INFINITY)) {
    throw new MmkitError('no alignment has a non-zero probability under the model', {
      code: 'alignment_impossible',
      param: 'transcript',
    });
  }
  const path = new Int32Array(frames);
  const emitted = new Int32Array(frames);
  for (let frame = frames - 1; frame >= 0; frame--) {
    path[frame] = state;
    emitted[frame] = stateClass[state];
    if (frame > 0) state -= (pointers[frame * stride + (state >> 2)] >> ((state & 3) << 1)) & 3;
  }
  return { states: path, classes: emitted, logProbability };
}

function checkInputs(emissions: EmissionMatrix, labels: ArrayLike<number>, blankId: number): void {
  const { logProbabilities, frames, classes } = emissions;
  if (!Number.isInteger(frames) || !Number.isInteger(classes) || logProbabilities.length !== frames * classes) {
    throw new RangeError(`emissions hold ${logProbabilities.length} values, not ${frames} × ${classes}`);
  }
  if (!Number.isInteger(blankId) || blankId < 0 || blankId >= classes) {
    throw new RangeError(`blank id ${blankId} is outside the ${classes} classes`);
  }
  if (labels.length === 0) {
    throw new MmkitError('the transcript has no characters to align', {
      code: 'nothing_to_align',
      param: 'transcript',
    });
  }
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index];
    if (!Number.isInteger(label) || label < 0 || label >= classes || label === blankId) {
      throw new RangeError(`label ${label} at ${index} is the blank or outside the ${classes} classes`);
    }
  }
}
