import { describe, expect, it } from 'vitest';
import { parseServerSentEvents, type ServerSentEvent, ServerSentEventParser } from './server-sent-events.ts';

async function* chunksOf(parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
}

async function collect(parts: (string | Uint8Array)[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(chunksOf(parts))) events.push(event);
  return events;
}

describe('parseServerSentEvents', () => {
  it('joins a UTF-8 character split across reads (one byte at a time)', async () => {
    const bytes = new TextEncoder().encode('data: {"content":"你好，世界"}\n\ndata: [DONE]\n\n');
    const oneByteReads = Array.from(bytes, (byte) => new Uint8Array([byte]));
    const events = await collect(oneByteReads);
    expect(events.map((event) => event.data)).toEqual(['{"content":"你好，世界"}', '[DONE]']);
  });

  it('cuts a 4-byte character (emoji) in the middle and still decodes it', async () => {
    const bytes = new TextEncoder().encode('data: a😀b\n\n');
    const cut = bytes.indexOf(0xf0) + 2;
    const events = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);
    expect(events).toEqual([{ event: 'message', data: 'a😀b' }]);
  });

  it('skips keep-alive comments and handles CRLF split between reads', async () => {
    const events = await collect([': keep-alive\r', '\n\r\ndata: one\r', '\n\r', '\n: ping\n\ndata: two\n\n']);
    expect(events.map((event) => event.data)).toEqual(['one', 'two']);
  });

  it('accepts lone CR line ends', async () => {
    const events = await collect(['data: first\r\rdata: second\r\r']);
    expect(events.map((event) => event.data)).toEqual(['first', 'second']);
  });

  it('joins multi-line data with newlines, keeps event names and ids, ignores retry', async () => {
    const events = await collect(['event: error\nid: 7\nretry: 10\ndata: line one\ndata:line two\n\n']);
    expect(events).toEqual([{ event: 'error', id: '7', data: 'line one\nline two' }]);
  });

  it('delivers a last event whose blank line never came', async () => {
    const events = await collect(['data: {"a":1}\n\ndata: [DONE]']);
    expect(events.map((event) => event.data)).toEqual(['{"a":1}', '[DONE]']);
  });

  it('drops blank-line-only input and events without data', async () => {
    expect(await collect(['\n\n\n', 'event: ping\n\n'])).toEqual([]);
  });
});

describe('ServerSentEventParser', () => {
  it('holds an unfinished line until its end arrives', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('data: hel')).toEqual([]);
    expect(parser.push('lo\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'hello' }]);
    expect(parser.end()).toEqual([]);
  });
});
