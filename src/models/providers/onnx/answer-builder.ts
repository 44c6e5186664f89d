/**
 * The answer as tokens arrive, whichever loop produces them: token ids to text deltas (whole
 * characters only, stop strings cut), the abort check, and the usage, timings and finish reason.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import type { ChatRequest, ChatResult, FinishReason, TokenLogprob } from '../../spec/index.ts';
import { HarmonyChannels, harmonyMarkers } from './harmony-channels.ts';
import { IncrementalDetokenizer } from './incremental-detokenizer.ts';
import { StopSequenceFilter } from './stop-sequences.ts';

/**
 * A piece of the answer's text, with the tokens it completes: their log probabilities when asked
 * for, and how many they are.
 */
export type AnswerDelta = (text: string, logprobs: TokenLogprob[] | undefined, tokens: number) => void;

export class AnswerBuilder {
  private readonly detokenizer: IncrementalDetokenizer;
  /** For harmony models (gpt-oss): their channels as the text conventions the shaper reads. */
  private readonly harmony: HarmonyChannels | undefined;
  private readonly stopFilter: StopSequenceFilter;
  private text = '';
  private completionTokens = 0;
  private lastToken: number | undefined;
  private firstTokenAt: number | undefined;
  /** Every answer token's log probability, and those whose text is not out yet. */
  private readonly logprobs: TokenLogprob[] = [];
  private pendingLogprobs: TokenLogprob[] = [];
  /** Tokens accepted whose text is not out yet. */
  private pendingTokens = 0;

  constructor(
    tokenizer: PreTrainedTokenizer,
    private readonly request: ChatRequest,
    private readonly endOfSequenceIds: ReadonlySet<number>,
    private readonly onDelta: AnswerDelta,
  ) {
    const decode = (ids: number[]) => tokenizer.decode(ids, { skip_special_tokens: true });
    this.detokenizer = new IncrementalDetokenizer(decode);
    const markers = harmonyMarkers(tokenizer);
    this.harmony = markers ? new HarmonyChannels(markers, decode) : undefined;
    this.stopFilter = new StopSequenceFilter(request.stop);
  }

  /** True once generation must end: aborted, a stop string, or an end-of-sequence token. */
  get done(): boolean {
    return (
      this.aborted ||
      this.stopFilter.stopped ||
      (this.lastToken !== undefined && this.endOfSequenceIds.has(this.lastToken))
    );
  }

  private get aborted(): boolean {
    return this.request.signal?.aborted ?? false;
  }

  /** @param logprob the token's log probability, when the request asked for them */
  accept(tokenId: number, logprob?: TokenLogprob): void {
    // A token that arrives after the end (abort, stop string) is not part of the answer.
    if (this.done) return;
    this.firstTokenAt ??= performance.now();
    this.completionTokens++;
    this.lastToken = tokenId;
    if (this.endOfSequenceIds.has(tokenId)) return;
    this.pendingTokens++;
    if (logprob) {
      this.logprobs.push(logprob);
      this.pendingLogprobs.push(logprob);
    }
    const text = this.harmony ? this.harmony.accept(tokenId) : this.detokenizer.push(tokenId);
    this.emit(this.stopFilter.push(text).text);
  }

  finish(promptTokens: number, startedAt: number): ChatResult {
    if (!this.stopFilter.stopped) {
      this.emit(this.stopFilter.push(this.harmony ? this.harmony.end() : this.detokenizer.flush()).text);
      this.emit(this.stopFilter.flush());
    }
    const endedByModel = this.lastToken !== undefined && this.endOfSequenceIds.has(this.lastToken);
    const finishReason: FinishReason = this.aborted
      ? 'abort'
      : this.stopFilter.stopped || endedByModel
        ? 'stop'
        : 'length';
    return {
      text: this.text,
      ...(this.request.logprobs === undefined ? {} : { logprobs: this.logprobs }),
      finishReason,
      usage: { promptTokens, completionTokens: this.completionTokens },
      timings: {
        totalMs: performance.now() - startedAt,
        ...(this.firstTokenAt === undefined ? {} : { firstOutputMs: this.firstTokenAt - startedAt }),
      },
    };
  }

  private emit(delta: string): void {
    if (delta.length === 0) return;
    this.text += delta;
    // The tokens whose text this delta completes.
    const tokens = this.pendingTokens;
    this.pendingTokens = 0;
    if (this.pendingLogprobs.length === 0) {
      this.onDelta(delta, undefined, tokens);
      return;
    }
    this.onDelta(delta, this.pendingLogprobs, tokens);
    this.pendingLogprobs = [];
  }
}
