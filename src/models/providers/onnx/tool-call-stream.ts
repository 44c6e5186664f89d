/**
 * Streaming an answer that may call tools: text is sent as it comes for as long as it cannot be part
 * of a call, and held from where a call may begin. A Hermes `<tool_call>` block can start anywhere,
 * so text before it streams (white space and a half-written `<tool_c` wait for what follows); an
 * answer that opens with `{`, `[`, `[TOOL_CALLS]` or `<|python_tag|>` may be a call as a whole
 * (Llama 3.x, Mistral), so it is held to the end. At the end the parsed answer says what is left to
 * send: the text after the calls, or, when there was no call, everything held.
 */
import type { ChatResult, TokenLogprob } from '../../spec/index.ts';

const HERMES_OPEN = '<tool_call>';
const WHOLE_ANSWER_MARKERS = ['[TOOL_CALLS]', '<|python_tag|>'];

export interface ReleasedText {
  text: string;
  /** The tokens generated since the last release (held tokens go out with the text they wrote). */
  logprobs: TokenLogprob[];
}

export class ToolCallStreamGate {
  private answer = '';
  private sent = 0;
  /** A call has begun, or the whole answer may be one: nothing more is sent before the end. */
  private holdingAll = false;
  private logprobs: TokenLogprob[] = [];

  /** Takes the next piece of the answer; returns what may be sent now. */
  push(text: string, logprobs?: readonly TokenLogprob[]): ReleasedText | undefined {
    this.answer += text;
    if (logprobs) this.logprobs.push(...logprobs);
    return this.release(this.sendableEnd());
  }

  /**
   * What is left to send once the answer is complete: what the final text (without the calls, if
   * any) holds beyond what was sent. Text already sent cannot be taken back; where the final text
   * does not begin with it (white space trimmed around calls), only what follows it is sent.
   */
  end(result: Pick<ChatResult, 'text' | 'toolCalls'>): ReleasedText | undefined {
    const sent = this.answer.slice(0, this.sent);
    const final = result.text;
    const rest = final.startsWith(sent) ? final.slice(sent.length) : '';
    // The held tokens wrote the calls too, and which wrote what is lost: with calls, they are left out.
    const logprobs = result.toolCalls?.length ? [] : this.logprobs;
    this.logprobs = [];
    return rest === '' ? undefined : { text: rest, logprobs };
  }

  private release(end: number): ReleasedText | undefined {
    if (end <= this.sent) return undefined;
    const text = this.answer.slice(this.sent, end);
    this.sent = end;
    const logprobs = this.logprobs;
    this.logprobs = [];
    return { text, logprobs };
  }

  /** Where the text that may be sent now ends. */
  private sendableEnd(): number {
    if (this.holdingAll) return this.sent;
    const start = this.answer.search(/\S/);
    if (start === -1) return this.sent;
    if (this.sent <= start) {
      const opening = this.answer.slice(start);
      if (
        opening.startsWith('{') ||
        opening.startsWith('[') ||
        WHOLE_ANSWER_MARKERS.some((m) => opening.startsWith(m))
      ) {
        this.holdingAll = true;
        return this.sent;
      }
      if (WHOLE_ANSWER_MARKERS.some((marker) => marker.startsWith(opening))) return this.sent;
    }
    let end = this.answer.indexOf(HERMES_OPEN, this.sent);
    if (end !== -1) this.holdingAll = true;
    else end = partialMarkerStart(this.answer, HERMES_OPEN) ?? this.answer.length;
    // Trailing white space waits: an answer that ends in a call is trimmed before it.
    while (end > this.sent && /\s/.test(this.answer[end - 1]!)) end--;
    return end;
  }
}

/** Where `text` ends with the start of `marker` (`…<tool_` for `<tool_call>`), if it does. */
function partialMarkerStart(text: string, marker: string): number | undefined {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(marker.slice(0, length))) return text.length - length;
  }
  return undefined;
}
