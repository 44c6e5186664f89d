/**
 * The textbook CTC Viterbi, written as plainly as possible: full 2-D score and backpointer tables
 * of JavaScript numbers. The baseline the benchmark compares `viterbiAlign` with, and a second
 * opinion in tests on sizes the brute force cannot reach.
 */
import type { EmissionMatrix } from '../ctc-viterbi.ts';

export function referenceViterbi(
  emissions: EmissionMatrix,
  labels: number[],
  blankId: number,
): { states: number[]; logProbability: number } {
  const { logProbabilities, frames, classes } = emissions;
  const extended = labels.flatMap((label) => [blankId, label]).concat(blankId);
  const size = extended.length;
  const score: number[][] = [];
  const from: number[][] = [];
  for (let frame = 0; frame < frames; frame++) {
    score.push(new Array(size).fill(Number.NEGATIVE_INFINITY));
    from.push(new Array(size).fill(-1));
    for (let state = 0; state < size; state++) {
      const emission = logProbabilities[frame * classes + extended[state]];
      if (frame === 0) {
        if (state <= 1) score[0][state] = emission;
        continue;
      }
      const candidates = [state, state - 1];
      if (state >= 2 && extended[state] !== blankId && extended[state] !== extended[state - 2]) {
        candidates.push(state - 2);
      }
      let best = Number.NEGATIVE_INFINITY;
      for (const previous of candidates) {
        if (previous >= 0 && score[frame - 1][previous] > best) {
          best = score[frame - 1][previous];
          from[frame][state] = previous;
        }
      }
      score[frame][state] = best + emission;
    }
  }
  let state = size - 1;
  if (size > 1 && score[frames - 1][size - 2] > score[frames - 1][size - 1]) state = size - 2;
  const logProbability = score[frames - 1][state];
  const states: number[] = new Array(frames);
  for (let frame = frames - 1; frame >= 0; frame--) {
    states[frame] = state;
    state = from[frame][state];
  }
  return { states, logProbability };
}
