/**
 * Server-sent events read from a fetch body (the routes are POSTs, so EventSource cannot be used).
 * Follows the HTML spec's parsing rules: lines end in LF, CRLF or CR; `data:` lines join with LF;
 * comment lines (`:`) are ignored; an event is dispatched at a blank line. Text is decoded as a
 * stream, so a UTF-8 character or an event split across chunks arrives whole.
 */

export interface SseEvent {
  /** `message` when the event had no `event:` line. */
  event: string;
  data: string;
}

/** Incremental parser: feed it text, take the complete events out. */
export class SseParser {
  private buffer = '';
  private eventType = '';
  private dataLines: string[] = [];
  private sawCarriageReturn = false;

  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    // A CR at the end of the last chunk may be half of a CRLF: drop the LF that follows it.
    if (this.sawCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.sawCarriageReturn = false;
    this.buffer += text;
    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const character = this.buffer[index];
      if (character !== '\n' && character !== '\r') continue;
      const line = this.buffer.slice(start, index);
      if (character === '\r') {
        if (index + 1 === this.buffer.length) this.sawCarriageReturn = true;
        else if (this.buffer[index + 1] === '\n') index++;
      }
      start = index + 1;
      const event = this.takeLine(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private takeLine(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.dataLines.length === 0) {
        this.eventType = '';
        return undefined;
      }
      const event = { event: this.eventType || 'message', data: this.dataLines.join('\n') };
      this.eventType = '';
      this.dataLines = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.dataLines.push(value);
    return undefined;
  }
}

/** The events of a response body, in order. An event left unterminated at the end is dropped (per spec). */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
  } finally {
    // A consumer that stops early (an error event, a new request) must not leave the response open.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
