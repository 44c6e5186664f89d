/**
 * Streaming an answer that may call tools: text is sent as it comes for as long as it cannot be part
 * of a call, and held from where a call may begin. A Hermes `<tool_call>` block can start anywhere,
 * so text before it streams (white space and a half-written `<tool_c` wait for what follows); an
 * answer that opens with `{`, `[`, `[TOOL_CALLS]` or `<|python_tag|>` may be a call as a whole
 * (Llama 3.x, Mistral), so it is held to the end. At the end the parsed answer says what is left to
 * send: the text after the calls, or, when there was no call, everything held.
 *
 * The calls themselves stream: a Hermes block's call, or a whole answer that is one call object,
 * is read as it is written (`ToolCallReader`), its name given once its arguments open and the
 * arguments' text as it grows. A call written in another shape, and every call after it, is left
 * to the parse of the whole answer.
 */
import { randomBytes } from 'node:crypto';
import type { ChatResult, TokenLogprob, ToolCall, ToolDefinition } from '../../spec/index.ts';
import { ToolCallReader } from './tool-call-reader.ts';

const HERMES_OPEN = '<tool_call>';
const WHOLE_ANSWER_MARKERS = ['[TOOL_CALLS]', '<|python_tag|>'];

export interface ReleasedText {
  text: string;
  /** The tokens generated since the last release (held tokens go out with the text they wrote). */
  logprobs: TokenLogprob[];
}

/** A call as it streams: its start (with the id it keeps), then pieces of its arguments. */
export type CallEvent =
  | { type: 'start'; index: number; id: string; name: string }
  | { type: 'arguments'; index: number; text: string };

export class ToolCallStreamGate {
  private answer = '';
  private sent = 0;
  /** A call has begun, or the whole answer may be one: nothing more is sent before the end. */
  private holdingAll = false;
  private logprobs: TokenLogprob[] = [];
  private readonly offered: ReadonlySet<string>;
  /** How calls are written: in Hermes blocks, or as the whole answer (one object). */
  private callShape: 'blocks' | 'whole' | undefined;
  /** Where the next call may begin; the call being read; whether streaming calls has stopped. */
  private searchFrom = 0;
  private reading: { reader: ToolCallReader; start: number } | undefined;
  private stopped = false;
  private readonly calls: ToolCall[] = [];
  private events: CallEvent[] = [];

  constructor(tools: readonly ToolDefinition[] = []) {
    this.offered = new Set(tools.map((tool) => tool.name));
  }

  /** The calls streamed so far: their ids, names and the arguments' text sent. */
  get streamedCalls(): readonly ToolCall[] {
    return this.calls;
  }

  /** The call events the pieces pushed since the last time made (after any text they released). */
  takeCallEvents(): CallEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  /** Takes the next piece of the answer; returns what may be sent now. */
  push(text: string, logprobs?: readonly TokenLogprob[]): ReleasedText | undefined {
    this.answer += text;
    if (logprobs) this.logprobs.push(...logprobs);
    const released = this.release(this.sendableEnd());
    if (this.callShape) this.readCalls();
    return released;
  }

  /** Reads the calls as far as they are written, one after another, until one cannot be followed. */
  private readCalls(): void {
    while (!this.stopped) {
      if (!this.reading) {
        const start = this.nextCallStart();
        if (start === undefined) return;
        this.reading = { reader: new ToolCallReader(this.offered), start };
      }
      const { reader, start } = this.reading;
      for (const reading of reader.read(this.answer.slice(start))) {
        const index = this.calls.length - (reading.type === 'name' ? 0 : 1);
        if (reading.type === 'name') {
          const id = `call_${randomBytes(12).toString('hex')}`;
          this.calls.push({ id, name: reading.name, arguments: '' });
          this.events.push({ type: 'start', index, id, name: reading.name });
        } else {
          this.calls[index]!.arguments += reading.text;
          this.events.push({ type: 'arguments', index, text: reading.text });
        }
      }
      if (reader.failed) this.stopped = true;
      if (!reader.done) return;
      this.searchFrom = start + reader.end;
      this.reading = undefined;
      // A whole answer holds one call object.
      if (this.callShape === 'whole') this.stopped = true;
    }
  }

  /**
   * A whole answer that may be one call: `{…}`, or `<|python_tag|>{…}` (Llama 3.1). Lists of calls
   * (`[…]`, Mistral's `[TOOL_CALLS]`) are left to the end.
   */
  private startWholeAnswerCall(opening: string, start: number): void {
    if (opening.startsWith('[')) return;
    this.callShape = 'whole';
    this.searchFrom = opening.startsWith('{') ? start : start + '<|python_tag|>'.length;
  }

  /** Where the next call's object begins, once it has: after a `<tool_call>`, or the answer's `{`. */
  private nextCallStart(): number | undefined {
    if (this.callShape === 'whole') {
      // The object must come next: anything else (Llama's python-style calls) is left to the end.
      const start = this.answer.slice(this.searchFrom).search(/\S/);
      if (start === -1) return undefined;
      if (this.answer[this.searchFrom + start] !== '{') this.stopped = true;
      return this.stopped ? undefined : this.searchFrom + start;
    }
    const open = this.answer.indexOf(HERMES_OPEN, this.searchFrom);
    return open === -1 ? undefined : open + HERMES_OPEN.length;
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
        this.startWholeAnswerCall(opening, start);
        return this.sent;
      }
      if (WHOLE_ANSWER_MARKERS.some((marker) => marker.startsWith(opening))) return this.sent;
    }
    let end = this.answer.indexOf(HERMES_OPEN, this.sent);
    if (end !== -1) {
      this.holdingAll = true;
      this.callShape = 'blocks';
      this.searchFrom = end;
    } else end = partialMarkerStart(this.answer, HERMES_OPEN) ?? this.answer.length;
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
