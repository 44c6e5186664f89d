/**
 * A Server-Sent Events parser (the WHATWG event-stream format) that is robust to how bytes arrive:
 * a UTF-8 character or a CRLF split across reads, comment lines (`: keep-alive`), `\r`, `\n` or
 * `\r\n` line ends, and multi-line `data:` fields.
 */

export interface ServerSentEvent {
  /** `message` unless the server named it with `event:`. */
  event: string;
  data: string;
  id?: string;
}

/** Text in, complete events out; keeps the unfinished line and event between pushes. */
export class ServerSentEventParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = '';
  private lastId: string | undefined;

  push(text: string): ServerSentEvent[] {
    this.buffer += text;
    return this.drain(false);
  }

  /**
   * The stream ended. A last event without its blank line is still delivered: a server that forgets
   * the final newline should not lose its last message.
   */
  end(): ServerSentEvent[] {
    const events = this.drain(true);
    if (this.buffer !== '') {
      this.processLine(this.buffer, events);
      this.buffer = '';
    }
    this.dispatch(events);
    return events;
  }

  private drain(final: boolean): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let start = 0;
    while (start < this.buffer.length) {
      const lineFeed = this.buffer.indexOf('\n', start);
      const carriageReturn = this.buffer.indexOf('\r', start);
      let end: number;
      if (carriageReturn !== -1 && (lineFeed === -1 || carriageReturn < lineFeed)) end = carriageReturn;
      else if (lineFeed !== -1) end = lineFeed;
      else break;
      let next = end + 1;
      if (this.buffer[end] === '\r') {
        // A CR at the very end may be the first half of a CRLF still in flight.
        if (end === this.buffer.length - 1 && !final) break;
        if (this.buffer[end + 1] === '\n') next = end + 2;
      }
      this.processLine(this.buffer.slice(start, end), events);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private processLine(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return; // A comment: keep-alive pings.
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    // `retry` and unknown fields are ignored, as the format says.
  }

  private dispatch(events: ServerSentEvent[]): void {
    if (this.dataLines.length > 0) {
      const event: ServerSentEvent = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
      if (this.lastId !== undefined) event.id = this.lastId;
      events.push(event);
    }
    this.dataLines = [];
    this.eventName = '';
  }
}

/** Bytes in (split anywhere, even inside a character), events out. */
export async function* parseServerSentEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder('utf-8');
  const parser = new ServerSentEventParser();
  for await (const chunk of chunks) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
