/**
 * An independent check of forced alignment for small sizes: enumerate every valid CTC path (state
 * sequences over the blank-interleaved labels, straight from the definition), score each, keep the
 * best. Among equal scores it keeps the path whose states, read from the last frame backwards, are
 * largest — the tie rule `viterbiAlign` documents.
 */
import type { EmissionMatrix } from '../ctc-viterbi.ts';

export interface BruteForceResult {
  states: number[];
  logProbability: number;
  /** How many valid paths exist. */
  paths: number;
}

export function bruteForceAlign(emissions: EmissionMatrix, labels: number[], blankId: number): BruteForceResult {
  const { logProbabilities, frames, classes } = emissions;
  const extended = labels.flatMap((label) => [blankId, label]).concat(blankId);
  const last = extended.length - 1;
  const allowed = (from: number, to: number) =>
    to === from || to === from + 1 || (to === from + 2 && extended[to] !== blankId && extended[to] !== extended[from]);
  let best: BruteForceResult = { states: [], logProbability: Number.NEGATIVE_INFINITY, paths: 0 };
  let count = 0;
  const walk = (states: number[]) => {
    if (states.length === frames) {
      const end = states[frames - 1];
      if (end !== last && end !== last - 1) return;
      count++;
      let score = 0;
      states.forEach((state, frame) => {
        score += logProbabilities[frame * classes + extended[state]];
      });
      if (score > best.logProbability || (score === best.logProbability && laterIsLarger(states, best.states))) {
        best = { states: [...states], logProbability: score, paths: 0 };
      }
      return;
    }
    const from = states[states.length - 1];
    for (let to = from; to <= Math.min(last, from + 2); to++) {
      if (allowed(from, to)) walk([...states, to]);
    }
  };
  for (const start of [0, 1]) if (start <= last) walk([start]);
  return { ...best, paths: count };
}

/** Whether `candidate`, compared from its last element backwards, is larger than `incumbent`. */
function laterIsLarger(candidate: number[], incumbent: number[]): boolean {
  for (let index = candidate.length - 1; index >= 0; index--) {
    if (candidate[index] !== incumbent[index]) return candidate[index] > incumbent[index];
  }
  return false;
}
