/**
 * JSON mode (OpenAI's `response_format: {type: "json_object"}`): before each token is chosen, the
 * highest-scoring candidates are tried on the answer so far and every other token is masked, so
 * the answer is always the start of one JSON object, and the end-of-sequence token is allowed
 * exactly when the object has closed (then it is the only one). Trying a few dozen candidates a
 * step, not the whole vocabulary, keeps the step cheap; the whole vocabulary is searched only
 * when none of them fits. Sampling then picks among what is left, as `top_k` would.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { JsonPrefix } from './json-prefix.ts';

/** Candidates kept per step (as `top_k` would); searches widen until some fit. */
const CANDIDATES = 48;
const SEARCH_WIDTHS = [CANDIDATES, 1024];
/** White space outside strings beyond this many characters in a row is refused: no runaway padding. */
const MAX_WHITE_SPACE_RUN = 16;

const tokenTextCache = new WeakMap<PreTrainedTokenizer, readonly string[]>();

/** What each token id writes, decoded alone (built once per tokenizer, on first use). */
export function tokenTexts(tokenizer: PreTrainedTokenizer): readonly string[] {
  let texts = tokenTextCache.get(tokenizer);
  if (!texts) {
    const table: string[] = [];
    for (const id of tokenizer.get_vocab().values()) table[id] = tokenizer.decode([id]);
    texts = table;
    tokenTextCache.set(tokenizer, texts);
  }
  return texts;
}

export class JsonModeConstraint {
  private readonly state = new JsonPrefix();
  private whiteSpaceRun = 0;
  private readonly specialIds: ReadonlySet<number>;

  /**
   * @param keep how many allowed tokens to leave: 1 for greedy decoding (the best one is all it
   * reads), else the candidates sampling may choose from.
   */
  constructor(
    private readonly texts: readonly string[],
    private readonly endIds: ReadonlySet<number>,
    specialIds: Iterable<number>,
    private readonly keep = CANDIDATES,
  ) {
    this.specialIds = new Set(specialIds);
  }

  static forTokenizer(
    tokenizer: PreTrainedTokenizer,
    endIds: ReadonlySet<number>,
    greedy: boolean,
  ): JsonModeConstraint {
    return new JsonModeConstraint(
      tokenTexts(tokenizer),
      endIds,
      tokenizer.all_special_ids ?? [],
      greedy ? 1 : CANDIDATES,
    );
  }

  /** Sets the logits of every token that cannot come next to −∞ (in place). */
  mask(logits: Float32Array): void {
    let allowed: number[] = [];
    // Wider and wider searches: the top few fit almost always once the model is writing JSON.
    for (const width of SEARCH_WIDTHS) {
      for (const id of topCandidates(logits, Math.min(width, logits.length))) {
        if (this.allows(id)) allowed.push(id);
        if (allowed.length === this.keep) break;
      }
      if (allowed.length > 0 || width >= logits.length) break;
    }
    if (allowed.length === 0) allowed = this.searchAll(logits).slice(0, this.keep);
    const kept = new Map(allowed.map((id) => [id, logits[id]!]));
    logits.fill(Number.NEGATIVE_INFINITY);
    for (const [id, value] of kept) logits[id] = value;
  }

  /** Moves past a chosen token. */
  accept(tokenId: number): void {
    if (this.endIds.has(tokenId)) return;
    const text = this.texts[tokenId] ?? '';
    this.state.push(text);
    const outsideString = !this.state.inString;
    this.whiteSpaceRun = outsideString && text.trim() === '' ? this.whiteSpaceRun + text.length : 0;
  }

  private allows(id: number): boolean {
    if (this.endIds.has(id)) return this.state.complete;
    if (this.state.complete || this.specialIds.has(id)) return false;
    const text = this.texts[id];
    if (!text) return false;
    // The answer starts with its `{` (JSON would allow white space first; nobody wants it).
    if (this.state.atStart && text.trimStart() !== text) return false;
    if (!this.state.inString && text.trim() === '' && this.whiteSpaceRun + text.length > MAX_WHITE_SPACE_RUN) {
      return false;
    }
    return this.state.copy().push(text);
  }

  /** Every token that fits, best first: when none of the top candidates did. */
  private searchAll(logits: Float32Array): number[] {
    const allowed: number[] = [];
    for (let id = 0; id < logits.length; id++) if (this.allows(id)) allowed.push(id);
    // Nothing fits at all (a tokenizer that cannot write the next character): end the answer.
    if (allowed.length === 0) return [...this.endIds].slice(0, 1);
    return allowed.sort((a, b) => logits[b]! - logits[a]!);
  }
}

/** The ids of the `count` largest logits, largest first (one pass, a small sorted list). */
export function topCandidates(logits: Float32Array, count: number): number[] {
  const ids: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    const value = logits[id]!;
    if (ids.length === count && value <= logits[ids[count - 1]!]!) continue;
    let position = ids.length === count ? count - 1 : ids.length;
    while (position > 0 && logits[ids[position - 1]!]! < value) position--;
    ids.splice(position, 0, id);
    if (ids.length > count) ids.pop();
  }
  return ids;
}
