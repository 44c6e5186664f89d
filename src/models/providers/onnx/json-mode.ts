/**
 * Constrained JSON decoding: JSON mode (OpenAI's `response_format: {type: "json_object"}`),
 * structured outputs (`json_schema`) and forced tool calls. Before each token is chosen, the
 * highest-scoring candidates are tried on the answer so far and every other token is masked, so
 * the answer is always the start of a value the grammar allows, and the end-of-sequence token is
 * allowed exactly when the value is whole (once it has closed, it is the only one). Trying a few
 * dozen candidates a step, not the whole vocabulary, keeps the step cheap; the whole vocabulary is
 * searched only when none of them fits. Sampling then picks among what is left, as `top_k` would.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { JsonPrefix } from './json-prefix.ts';
import type { GrammarNode } from './json-schema-grammar.ts';
import { tokenBytes } from './token-bytes.ts';

/** Candidates kept per step (as `top_k` would); searches widen until some fit. */
const CANDIDATES = 48;
const SEARCH_WIDTHS = [CANDIDATES, 1024];
/**
 * White space between values is held to the shapes JSON printers write: one space, or a line break
 * and at most this much indentation. Small models otherwise pad answers with runs of `\r` and blanks
 * until they run out of tokens.
 */
const MAX_INDENTATION = 32;

export class JsonModeConstraint {
  private readonly state: JsonPrefix;
  /** The white space between values written last (empty inside strings and after other text). */
  private whiteSpace = '';
  private readonly specialIds: ReadonlySet<number>;

  /**
   * @param keep how many allowed tokens to leave: 1 for greedy decoding (the best one is all it
   * reads), else the candidates sampling may choose from.
   * @param grammar what the answer must be; by default any one object (JSON mode).
   */
  constructor(
    /** Each token id's UTF-8 bytes as a byte string (`tokenBytes`). */
    private readonly tokens: readonly string[],
    private readonly endIds: ReadonlySet<number>,
    specialIds: Iterable<number>,
    private readonly keep = CANDIDATES,
    grammar?: GrammarNode,
  ) {
    this.specialIds = new Set(specialIds);
    this.state = new JsonPrefix(grammar);
  }

  static forTokenizer(
    tokenizer: PreTrainedTokenizer,
    endIds: ReadonlySet<number>,
    greedy: boolean,
    grammar?: GrammarNode,
  ): JsonModeConstraint {
    return new JsonModeConstraint(
      tokenBytes(tokenizer),
      endIds,
      tokenizer.all_special_ids ?? [],
      greedy ? 1 : CANDIDATES,
      grammar,
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
    this.whiteSpace = read(this.state, this.whiteSpace, this.tokens[tokenId] ?? '') ?? '';
  }

  private allows(id: number): boolean {
    if (this.endIds.has(id)) return this.state.complete;
    if (this.state.closed || this.specialIds.has(id)) return false;
    const text = this.tokens[id];
    if (!text) return false;
    // The answer starts with its value (JSON would allow white space first; nobody wants it).
    if (this.state.atStart && text.trimStart() !== text) return false;
    return read(this.state.copy(), this.whiteSpace, text) !== undefined;
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

/**
 * Reads `text` into `state` a character at a time; the white space between values it ends with,
 * or undefined when the grammar or the white-space shapes refuse it.
 */
function read(state: JsonPrefix, whiteSpace: string, text: string): string | undefined {
  let run = whiteSpace;
  for (const character of text) {
    if (!state.push(character)) return undefined;
    if (state.inString || (character !== ' ' && character !== '\n' && character !== '\t' && character !== '\r')) {
      run = '';
      continue;
    }
    run += character;
    const shaped = run === ' ' || (/^\n[ \t]*$/.test(run) && run.length <= 1 + MAX_INDENTATION);
    if (!shaped) return undefined;
  }
  return run;
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
