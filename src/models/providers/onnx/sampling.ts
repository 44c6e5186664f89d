/**
 * Seeded sampling as a Transformers.js logits processor.
 *
 * Transformers.js's own multinomial sampler draws from one process-wide generator (`random`, a
 * Mersenne Twister) and implements temperature and top-k but not top-p. We therefore sample
 * ourselves: this processor runs last, draws the next token with a per-request generator seeded
 * from the request's `seed`, and leaves only that token with a finite logit, so the greedy sampler
 * that generation runs with (`do_sample: false`) picks it. Concurrent requests never share a
 * generator, so the same seed gives the same text whatever else the process is doing.
 */
import { LogitsProcessor, random, type Tensor } from '@huggingface/transformers';
import { MmkitError } from '../../../errors.ts';

export interface SamplingOptions {
  /** > 0; 0 (greedy) never reaches this processor. */
  temperature: number;
  /** Keep the k most likely tokens; 0 or absent keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all. */
  topP: number;
}

/** A uniform draw in [0, 1). */
export type UniformSource = () => number;

export function seededUniformSource(seed: number): UniformSource {
  const generator = new random.Random(seed);
  return () => generator.random();
}

/**
 * Tokens more than this many (temperature-scaled) logits below the best have probability below
 * e^-30 relative to it: leaving them out changes no draw that matters and keeps the sort small.
 */
const NEGLIGIBLE_LOGIT_GAP = 30;

/** Draws one token id from `logits` (one row) with temperature, top-k and top-p applied. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, uniform: UniformSource): number {
  const temperature = options.temperature;
  let best = Number.NEGATIVE_INFINITY;
  for (let token = 0; token < logits.length; token++) best = Math.max(best, logits[token] / temperature);
  const candidates: { token: number; weight: number }[] = [];
  for (let token = 0; token < logits.length; token++) {
    const scaled = logits[token] / temperature;
    if (scaled >= best - NEGLIGIBLE_LOGIT_GAP) candidates.push({ token, weight: Math.exp(scaled - best) });
  }
  // Most likely first; ties by token id so the order (and so the draw) is fully determined.
  candidates.sort((a, b) => b.weight - a.weight || a.token - b.token);
  let kept = candidates.length;
  if (options.topK && options.topK > 0) kept = Math.min(kept, options.topK);
  if (options.topP < 1) {
    let total = 0;
    for (let index = 0; index < kept; index++) total += candidates[index].weight;
    let cumulative = 0;
    for (let index = 0; index < kept; index++) {
      cumulative += candidates[index].weight;
      if (cumulative >= options.topP * total) {
        kept = index + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let index = 0; index < kept; index++) total += candidates[index].weight;
  let remaining = uniform() * total;
  for (let index = 0; index < kept; index++) {
    remaining -= candidates[index].weight;
    if (remaining < 0) return candidates[index].token;
  }
  return candidates[kept - 1].token;
}

/**
 * Hugging Face's repetition penalty: every token already in the context (prompt included) has its
 * logit divided by the penalty when positive, multiplied when negative.
 */
export function applyRepetitionPenalty(logits: Float32Array, contextIds: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const token of new Set(contextIds)) {
    const value = logits[token];
    logits[token] = value < 0 ? value * penalty : value / penalty;
  }
}

/** A logit bias as pairs, checked against the model's vocabulary (`undefined` when none is set). */
export function logitBiasEntries(
  bias: Readonly<Record<number, number>> | undefined,
  vocabularySize: number,
): [number, number][] | undefined {
  if (bias === undefined) return undefined;
  const entries = Object.entries(bias).map(([token, value]) => [Number(token), value] as [number, number]);
  for (const [token, value] of entries) {
    if (!Number.isInteger(token) || token < 0 || token >= vocabularySize) {
      throw new MmkitError(
        `logit_bias names token ${token}, not an id of the model's vocabulary (0 to ${vocabularySize - 1})`,
        { code: 'token_out_of_range', param: 'logit_bias' },
      );
    }
    if (!(Math.abs(value) <= 100)) {
      throw new MmkitError(`logit_bias for token ${token} is ${value}; it must be from −100 to 100`, {
        code: 'invalid_sampling',
        param: 'logit_bias',
      });
    }
  }
  return entries.length === 0 ? undefined : entries;
}

/** Adds each biased token's bias to its logit. */
export function applyLogitBias(logits: Float32Array, entries: readonly [number, number][]): void {
  for (const [token, value] of entries) if (token < logits.length) logits[token] += value;
}

/**
 * OpenAI's presence and frequency penalties, over the answer's own tokens (not the prompt's, as
 * vLLM counts them): each token that has appeared loses `presence` once and `frequency` per time.
 */
export class AnswerTokenPenalty {
  private readonly counts = new Map<number, number>();

  constructor(
    private readonly presence: number,
    private readonly frequency: number,
  ) {}

  /** The penalty for the request, or undefined when both are zero. */
  static of(request: { presencePenalty?: number; frequencyPenalty?: number }): AnswerTokenPenalty | undefined {
    const presence = request.presencePenalty ?? 0;
    const frequency = request.frequencyPenalty ?? 0;
    return presence === 0 && frequency === 0 ? undefined : new AnswerTokenPenalty(presence, frequency);
  }

  apply(logits: Float32Array): void {
    for (const [token, count] of this.counts) {
      if (token < logits.length) logits[token] -= this.presence + this.frequency * count;
    }
  }

  accept(tokenId: number): void {
    this.counts.set(tokenId, (this.counts.get(tokenId) ?? 0) + 1);
  }
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let token = 1; token < logits.length; token++) if (logits[token] > logits[best]) best = token;
  return best;
}

export class SeededSamplingProcessor extends LogitsProcessor {
  private readonly options: SamplingOptions;
  private readonly uniform: UniformSource;

  constructor(options: SamplingOptions, seed: number) {
    super();
    this.options = options;
    this.uniform = seededUniformSource(seed);
  }

  override _call(_inputIds: bigint[][], logits: Tensor): Tensor {
    const vocabularySize = logits.dims.at(-1) ?? 0;
    const data = logits.data as Float32Array;
    for (let offset = 0; offset < data.length; offset += vocabularySize) {
      const row = data.subarray(offset, offset + vocabularySize);
      const chosen = sampleToken(row, this.options, this.uniform);
      row.fill(Number.NEGATIVE_INFINITY);
      row[chosen] = 0;
    }
    return logits;
  }
}
