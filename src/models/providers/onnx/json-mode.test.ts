import { describe, expect, it } from 'vitest';
import { JsonModeConstraint, topCandidates } from './json-mode.ts';

/** A toy vocabulary: id → text; 0 is the end of sequence, 1 a special token. */
const TEXTS = ['', '<|special|>', '{', '}', '"', 'a', ':', '1', ' ', 'hello', '"}', '   ', '\n', '{"', '[', ','];
const END = 0;

/** Greedy decoding where the "model" ranks tokens by `preference(step)` (earlier = higher logit). */
function decode(preference: (step: number) => string[], steps = 20): { text: string; ended: boolean } {
  const constraint = new JsonModeConstraint(TEXTS, new Set([END]), [1]);
  let text = '';
  for (let step = 0; step < steps; step++) {
    const logits = new Float32Array(TEXTS.length).fill(-5);
    for (const [rank, token] of preference(step).entries()) logits[TEXTS.indexOf(token)] = 10 - rank;
    constraint.mask(logits);
    const chosen = logits.indexOf(Math.max(...logits));
    if (chosen === END) return { text, ended: true };
    constraint.accept(chosen);
    text += TEXTS[chosen];
  }
  return { text, ended: false };
}

describe('JsonModeConstraint', () => {
  it('keeps only what can continue a JSON object, and the end once it is closed', () => {
    const constraint = new JsonModeConstraint(TEXTS, new Set([END]), [1]);
    const logits = new Float32Array(TEXTS.length).fill(1);
    constraint.mask(logits);
    const allowed = (values: Float32Array) =>
      [...values.keys()].filter((id) => values[id] !== Number.NEGATIVE_INFINITY).map((id) => TEXTS[id]);
    // At the start: an object only (no white space first, no end, no special token).
    expect(allowed(logits)).toEqual(['{', '{"']);
    constraint.accept(TEXTS.indexOf('{"'));
    for (const token of ['a', '"', ':', '1']) constraint.accept(TEXTS.indexOf(token));
    const after = new Float32Array(TEXTS.length).fill(1);
    constraint.mask(after);
    expect(allowed(after).sort()).toEqual(['\n', ' ', ',', '1', '}'].sort());
    constraint.accept(TEXTS.indexOf('}'));
    const closed = new Float32Array(TEXTS.length).fill(1);
    constraint.mask(closed);
    expect(allowed(closed)).toEqual(['']);
  });

  it("steers a model that would rather chat into an object, taking the model's best among what fits", () => {
    // The model wants "hello" at nearly every step; it gets it only inside the string.
    const script = [['hello', '{"'], ['hello'], ['"', 'hello'], ['hello', ':'], ['hello', '1'], ['hello', '}']];
    const answer = decode((step) => script[step] ?? ['hello']);
    expect(answer).toEqual({ text: '{"hello":1}', ended: true });
    expect(JSON.parse(answer.text)).toEqual({ hello: 1 });
  });

  it('holds white space between values to one space, or a line break and indentation', () => {
    expect(decode(() => ['   ', ' ', '\n', '}'])).toEqual({ text: '{ }', ended: true });
    // A line break, then at most 32 characters of indentation: ten 3-space tokens, then `}`.
    expect(decode(() => ['\n', '   ', '}'])).toEqual({ text: `{\n${' '.repeat(30)}}`, ended: true });
    // Inside strings white space is text.
    const script = [['{"'], ['a'], ['   '], ['   '], ['"'], [':'], ['1'], ['}']];
    expect(decode((step) => script[step] ?? [])).toEqual({ text: '{"a      ":1}', ended: true });
  });

  it('leaves only the best allowed token for greedy decoding', () => {
    const constraint = new JsonModeConstraint(TEXTS, new Set([END]), [1], 1);
    const logits = new Float32Array(TEXTS.length).map((_, id) => id);
    constraint.mask(logits);
    // `{"` (13) outscores `{` (2); `[` (14) scores higher still but cannot start an object.
    expect([...logits.keys()].filter((id) => logits[id] !== Number.NEGATIVE_INFINITY)).toEqual([13]);
  });

  it('searches the whole vocabulary when none of the top candidates fits', () => {
    const texts = [...Array.from({ length: 100 }, (_, index) => `word${index}`), '{'];
    const constraint = new JsonModeConstraint(texts, new Set(), []);
    const logits = new Float32Array(texts.length).map((_, id) => 1000 - id);
    constraint.mask(logits);
    expect([...logits.keys()].filter((id) => logits[id] !== Number.NEGATIVE_INFINITY)).toEqual([100]);
  });
});

describe('topCandidates', () => {
  it('finds the largest logits, largest first', () => {
    const logits = new Float32Array([0.5, 3, -1, 7, 3.5, 2, Number.NEGATIVE_INFINITY, 9]);
    expect(topCandidates(logits, 3)).toEqual([7, 3, 4]);
    expect(topCandidates(logits, 20)).toEqual([7, 3, 4, 1, 5, 0, 2, 6]);
  });
});
