/**
 * Log probabilities of generated tokens (OpenAI's `logprobs`/`top_logprobs`): from the model's
 * distribution after its repetition penalty, before temperature, top-k/top-p and any JSON
 * constraint reshape it, as vLLM reports them by default.
 */
import type { TokenLogprob } from '../../spec/index.ts';
import { topCandidates } from './json-mode.ts';

export class TokenLogprobRecorder {
  private logits: Float32Array = new Float32Array(0);
  private logNormaliser = 0;
  private top: TokenLogprob['top'] = [];

  /**
   * @param tokens each token id's UTF-8 bytes as a byte string (`tokenBytes`)
   * @param topCount how many most likely tokens to list at each position (0 to 20)
   */
  constructor(
    private readonly tokens: readonly string[],
    private readonly topCount: number,
  ) {}

  /** Reads one step's logits, before anything else changes them (they are copied). */
  observe(logits: Float32Array): void {
    this.logits = Float32Array.from(logits);
    let max = Number.NEGATIVE_INFINITY;
    for (const value of logits) if (value > max) max = value;
    let sum = 0;
    for (const value of logits) sum += Math.exp(value - max);
    this.logNormaliser = max + Math.log(sum);
    this.top = this.topCount > 0 ? topCandidates(logits, this.topCount).map((id) => this.described(id)) : [];
  }

  /** A token's text and bytes, with no distribution (the first of a prompt has none). */
  unscored(tokenId: number): { token: string; bytes: number[] } {
    const { token, bytes } = this.described(tokenId);
    return { token, bytes };
  }

  /** The chosen token of the step last observed. */
  chosen(tokenId: number): TokenLogprob {
    return { ...this.described(tokenId), top: this.top };
  }

  private described(tokenId: number): { token: string; logprob: number; bytes: number[] } {
    const bytes = Array.from(this.tokens[tokenId] ?? '', (byte) => byte.charCodeAt(0));
    return {
      token: Buffer.from(bytes).toString('utf8'),
      logprob: (this.logits[tokenId] ?? Number.NEGATIVE_INFINITY) - this.logNormaliser,
      bytes,
    };
  }
}
