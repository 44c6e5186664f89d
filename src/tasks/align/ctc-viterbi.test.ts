import { describe, expect, it } from 'vitest';
import { isMmkitError } from '../../errors.ts';
import { type EmissionMatrix, minimumFrames, trellisBytes, viterbiAlign } from './ctc-viterbi.ts';
import { bruteForceAlign } from './test-support/brute-force.ts';
import { referenceViterbi } from './test-support/reference-viterbi.ts';

const BLANK = 0;
// A toy alphabet: class 0 is the blank.
const ALPHABET = ['_', 'h', 'e', 'l', 'o', 'a', 'b', 'x'];
const id = (character: string) => ALPHABET.indexOf(character);
const ids = (text: string) => [...text].map(id);

/** Emissions from rows of per-class probabilities (normalised here), in log space. */
function fromProbabilities(rows: number[][]): EmissionMatrix {
  const classes = rows[0].length;
  const logProbabilities = new Float32Array(rows.length * classes);
  rows.forEach((row, frame) => {
    const total = row.reduce((sum, value) => sum + value, 0);
    row.forEach((value, index) => {
      logProbabilities[frame * classes + index] = Math.log(value / total);
    });
  });
  return { logProbabilities, frames: rows.length, classes };
}

/** Each frame gives `confidence` to its character of `spelled` (one character per frame, `_` blank). */
function peaked(spelled: string, confidence = 0.9): EmissionMatrix {
  const rest = (1 - confidence) / (ALPHABET.length - 1);
  return fromProbabilities(
    [...spelled].map((character) => ALPHABET.map((_, index) => (index === id(character) ? confidence : rest))),
  );
}

const spell = (classes: Int32Array) => [...classes].map((value) => ALPHABET[value]).join('');

/** A small deterministic generator (mulberry32) so failures replay. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isMmkitError(error)) return error;
    throw error;
  }
  throw new Error('expected an MmkitError');
}

describe('viterbiAlign', () => {
  it('follows a clear path through "hello", with a blank between the two Ls', () => {
    const emissions = peaked('__hheel_llo__');
    const path = viterbiAlign(emissions, ids('hello'), BLANK);
    expect(spell(path.classes)).toBe('__hheel_llo__');
    expect([...path.states]).toEqual([0, 0, 1, 1, 3, 3, 5, 6, 7, 7, 9, 10, 10]);
    expect(path.logProbability).toBeCloseTo(13 * Math.log(0.9), 4);
  });

  it('puts a blank between repeated letters even where every frame says "l"', () => {
    // Greedy decoding of these frames reads "helo": the aligner must give one "l" frame to the blank.
    const emissions = peaked('hellllo');
    const path = viterbiAlign(emissions, ids('hello'), BLANK);
    const spelled = spell(path.classes);
    expect(spelled).toMatch(/^hel+_l+o$/);
    expect(spelled).toHaveLength(7);
    // Exactly one frame pays for the blank (0.1/7), the rest keep 0.9.
    expect(path.logProbability).toBeCloseTo(6 * Math.log(0.9) + Math.log(0.1 / 7), 4);
  });

  it('refuses "hello" in five frames: the repeated L needs a sixth for its blank', () => {
    expect(minimumFrames(ids('hello'))).toBe(6);
    const error = failure(() => viterbiAlign(peaked('hello'), ids('hello'), BLANK));
    expect(error.code).toBe('audio_too_short');
    expect(error.message).toBe('the audio has 5 frames but the transcript needs at least 6');
    expect(spell(viterbiAlign(peaked('hel_lo'), ids('hello'), BLANK).classes)).toBe('hel_lo');
  });

  it('skips the blank between different labels when that is best', () => {
    // Blank is unlikely everywhere: the best path goes a → b directly.
    const rows = [
      [0.01, 0, 0, 0, 0, 0.9, 0.09, 0],
      [0.01, 0, 0, 0, 0, 0.6, 0.39, 0],
      [0.01, 0, 0, 0, 0, 0.2, 0.79, 0],
    ].map((row) => row.map((value) => value + 1e-6));
    const path = viterbiAlign(fromProbabilities(rows), ids('ab'), BLANK);
    expect([...path.states]).toEqual([1, 1, 3]);
    expect(spell(path.classes)).toBe('aab');
  });

  it('aligns a single-character transcript, at the start, middle and end', () => {
    expect(spell(viterbiAlign(peaked('__x_'), ids('x'), BLANK).classes)).toBe('__x_');
    expect(spell(viterbiAlign(peaked('xx__'), ids('x'), BLANK).classes)).toBe('xx__');
    expect(spell(viterbiAlign(peaked('___x'), ids('x'), BLANK).classes)).toBe('___x');
    expect(spell(viterbiAlign(peaked('x'), ids('x'), BLANK).classes)).toBe('x');
  });

  it('breaks ties by the documented rule: stay, then advance, then skip (from the end backwards)', () => {
    // Every path has the same score; the rule picks states [1, 3, 4]: "a", "b", blank.
    const uniform = fromProbabilities([0, 1, 2].map(() => ALPHABET.map(() => 1)));
    const path = viterbiAlign(uniform, ids('ab'), BLANK);
    expect([...path.states]).toEqual([1, 3, 4]);
    expect(bruteForceAlign(uniform, ids('ab'), BLANK).states).toEqual([1, 3, 4]);
    // Two equally good places for one "x" among blanks: ending in the blank (state 2) beats ending on "x".
    const twoPeaks = fromProbabilities([
      [1, 0, 0, 0, 0, 0, 0, 1],
      [1, 0, 0, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0, 0, 1],
    ]);
    expect(spell(viterbiAlign(twoPeaks, ids('x'), BLANK).classes)).toBe('x__');
    expect(bruteForceAlign(twoPeaks, ids('x'), BLANK).states).toEqual([1, 2, 2]);
  });

  it('agrees with a brute-force search over every valid path (random emissions, repeats included)', () => {
    const next = random(7);
    let compared = 0;
    for (let trial = 0; trial < 400; trial++) {
      const frames = 1 + Math.floor(next() * 7);
      const labels = Array.from({ length: 1 + Math.floor(next() * 3) }, () => 1 + Math.floor(next() * 2));
      // Half the trials use coarse log-probabilities so that many paths tie exactly.
      const coarse = trial % 2 === 0;
      const logProbabilities = Float32Array.from({ length: frames * 3 }, () =>
        coarse ? 0 - Math.floor(next() * 3) : Math.log(next() + 1e-9),
      );
      const emissions = { logProbabilities, frames, classes: 3 };
      if (frames < minimumFrames(labels)) {
        expect(failure(() => viterbiAlign(emissions, labels, BLANK)).code).toBe('audio_too_short');
        continue;
      }
      const expected = bruteForceAlign(emissions, labels, BLANK);
      const path = viterbiAlign(emissions, labels, BLANK);
      expect([...path.states], `trial ${trial}`).toEqual(expected.states);
      expect(path.logProbability).toBe(expected.logProbability);
      compared++;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('agrees with the plain 2-D implementation on longer random inputs', () => {
    const next = random(11);
    for (let trial = 0; trial < 20; trial++) {
      const classes = 6;
      const labels = Array.from({ length: 5 + Math.floor(next() * 40) }, () => 1 + Math.floor(next() * 3));
      const frames = minimumFrames(labels) + Math.floor(next() * 150);
      const logProbabilities = Float32Array.from({ length: frames * classes }, () => Math.log(next() + 1e-9));
      const emissions = { logProbabilities, frames, classes };
      const expected = referenceViterbi(emissions, labels, BLANK);
      const path = viterbiAlign(emissions, labels, BLANK);
      expect([...path.states]).toEqual(expected.states);
      expect(path.logProbability).toBe(expected.logProbability);
    }
  });

  it('rejects empty transcripts, impossible paths and trellises over the memory budget', () => {
    expect(failure(() => viterbiAlign(peaked('__'), [], BLANK)).code).toBe('nothing_to_align');
    const impossible = peaked('_x_');
    impossible.logProbabilities.fill(Number.NEGATIVE_INFINITY);
    expect(failure(() => viterbiAlign(impossible, ids('x'), BLANK)).code).toBe('alignment_impossible');
    expect(trellisBytes(3000, 900)).toBe(3000 * 451);
    const large = failure(() => viterbiAlign(peaked('__hello__'), ids('helo'), BLANK, { maxTrellisBytes: 10 }));
    expect(large.code).toBe('alignment_too_large');
    expect(() => viterbiAlign(peaked('_x_'), [BLANK], BLANK)).toThrow(RangeError);
    expect(() => viterbiAlign({ logProbabilities: new Float32Array(5), frames: 2, classes: 3 }, [1], BLANK)).toThrow(
      RangeError,
    );
  });
});
