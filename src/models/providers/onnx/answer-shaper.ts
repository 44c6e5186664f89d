/**
 * A local model's raw answer as the spec's parts: its reasoning (`<think>` block) apart from the
 * answer, the answer's text through the tool-call gate when tools are offered, and at the end the
 * calls parsed out of the text. Whole answers (`generate`) go through the same steps, so both ways
 * give the same result.
 */
import type { ChatRequest, ChatResult, ChatStreamPart, TokenLogprob } from '../../spec/index.ts';
import { ReasoningSplitter } from './reasoning-split.ts';
import { type ReleasedText, ToolCallStreamGate } from './tool-call-stream.ts';
import { parseToolCalls } from './tool-calls.ts';

export class AnswerShaper {
  private readonly splitter = new ReasoningSplitter();
  private readonly gate: ToolCallStreamGate | undefined;
  private pendingLogprobs: TokenLogprob[] = [];
  /** Tokens spent thinking, and tokens written while it was not yet known whether the answer thinks. */
  private reasoningTokens = 0;
  private undecidedTokens = 0;

  constructor(private readonly request: ChatRequest) {
    // With tools offered, text that may be part of a call is held until it is known to be one or not.
    this.gate = request.tools?.length ? new ToolCallStreamGate(request.tools) : undefined;
  }

  /** The rendered prompt opened the thinking block: the answer begins inside it. */
  startInsideReasoning(): void {
    this.splitter.startInside();
  }

  /**
   * The parts a piece of the raw answer makes (its tokens' log probabilities go with its text).
   * `tokens`: how many tokens wrote it, counted as thinking when it was written inside the block
   * (the closing tag's included).
   */
  push(text: string, logprobs?: readonly TokenLogprob[], tokens = 0): ChatStreamPart[] {
    if (logprobs) this.pendingLogprobs.push(...logprobs);
    const wasReasoning = this.splitter.inReasoning;
    const parts = this.parts(this.splitter.push(text));
    const isReasoning = this.splitter.inReasoning;
    if (isReasoning === undefined) this.undecidedTokens += tokens;
    else {
      if (wasReasoning || isReasoning) this.reasoningTokens += this.undecidedTokens + tokens;
      this.undecidedTokens = 0;
    }
    return parts;
  }

  /** The parts still held, and the result: text without the reasoning, calls parsed out of it. */
  finish(raw: ChatResult): { parts: ChatStreamPart[]; result: ChatResult } {
    const parts = this.parts(this.splitter.end());
    const { reasoning, text } = this.splitter;
    const usage = this.reasoningTokens > 0 ? { ...raw.usage, reasoningTokens: this.reasoningTokens } : raw.usage;
    const result = this.withStreamedCalls(
      withToolCalls({ ...raw, text, usage, ...(reasoning === '' ? {} : { reasoning }) }, this.request),
    );
    const rest = this.gate?.end(result);
    if (rest) parts.push(textDelta(rest));
    return { parts, result };
  }

  /**
   * Reasoning pieces as they are; text pieces through the gate, with the log probabilities of the
   * tokens since the last text (those that wrote reasoning are not the answer's).
   */
  private parts(pieces: ReturnType<ReasoningSplitter['push']>): ChatStreamPart[] {
    const parts: ChatStreamPart[] = [];
    for (const piece of pieces) {
      const tokens = this.pendingLogprobs;
      this.pendingLogprobs = [];
      if (piece.kind === 'reasoning') {
        parts.push({ type: 'reasoning-delta', text: piece.text });
        continue;
      }
      const released = this.gate ? this.gate.push(piece.text, tokens) : { text: piece.text, logprobs: tokens };
      if (released) parts.push(textDelta(released));
      for (const event of this.gate?.takeCallEvents() ?? []) {
        parts.push(
          event.type === 'start'
            ? { type: 'tool-call-start', index: event.index, id: event.id, name: event.name }
            : { type: 'tool-call-delta', index: event.index, argumentsDelta: event.text },
        );
      }
    }
    return parts;
  }

  /**
   * The parsed calls with the ids and argument texts of those already streamed (the same calls: the
   * parse reads the same text), so the finish agrees with what the client was sent.
   */
  private withStreamedCalls(result: ChatResult): ChatResult {
    const streamed = this.gate?.streamedCalls ?? [];
    if (streamed.length === 0 || !result.toolCalls) return result;
    const toolCalls = result.toolCalls.map((call, index) => {
      const sent = streamed[index];
      return sent && sent.name === call.name ? { ...call, id: sent.id, arguments: sent.arguments } : call;
    });
    return { ...result, toolCalls };
  }
}

function textDelta(released: ReleasedText): ChatStreamPart {
  return {
    type: 'text-delta',
    text: released.text,
    ...(released.logprobs.length ? { logprobs: released.logprobs } : {}),
  };
}

/** A finished answer that calls offered tools becomes those calls (finish reason `tool-calls`). */
function withToolCalls(result: ChatResult, request: ChatRequest): ChatResult {
  if (!request.tools?.length || result.finishReason !== 'stop') return result;
  const parsed = parseToolCalls(result.text, request.tools);
  return parsed ? { ...result, text: parsed.text, toolCalls: parsed.toolCalls, finishReason: 'tool-calls' } : result;
}
