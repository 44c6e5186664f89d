import { describe, expect, it } from 'vitest';
import { readSseEvents, type SseEvent, SseParser } from './sse.ts';

/** A fetch-like body that delivers `chunks` one read at a time. */
function bodyOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(body)) events.push(event);
  return events;
}

describe('readSseEvents', () => {
  it('reassembles events split across chunks at any point', async () => {
    const text = 'event: delta\ndata: {"text":"re"}\n\nevent: delta\ndata: {"text":"d"}\n\nevent: done\ndata: {}\n\n';
    const expected = [
      { event: 'delta', data: '{"text":"re"}' },
      { event: 'delta', data: '{"text":"d"}' },
      { event: 'done', data: '{}' },
    ];
    for (let cut = 1; cut < text.length; cut++) {
      expect(await collect(bodyOf([text.slice(0, cut), text.slice(cut)]))).toEqual(expected);
    }
    expect(await collect(bodyOf(text.split('')))).toEqual(expected);
  });

  it('keeps a multi-byte character split between chunks whole', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"红色"}\n\n');
    const middleOfCharacter = bytes.indexOf(0xe7) + 1; // inside 红's three bytes
    const events = await collect(bodyOf([bytes.slice(0, middleOfCharacter), bytes.slice(middleOfCharacter)]));
    expect(events).toEqual([{ event: 'delta', data: '{"text":"红色"}' }]);
  });

  it('handles CRLF and CR line ends, including a CRLF split between chunks', async () => {
    const events = await collect(bodyOf(['event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r']));
    expect(events).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ]);
  });

  it('joins data lines, ignores comments and unknown fields, defaults the type to message', async () => {
    const events = await collect(bodyOf([': keep-alive\n\nid: 7\ndata: line one\ndata:line two\nretry: 5\n\n']));
    expect(events).toEqual([{ event: 'message', data: 'line one\nline two' }]);
  });

  it('drops an event the stream cut off before its blank line', async () => {
    const events = await collect(bodyOf(['event: progress\ndata: {"step":1}\n\nevent: progress\ndata: {"st']));
    expect(events).toEqual([{ event: 'progress', data: '{"step":1}' }]);
  });
});

describe('SseParser', () => {
  it('does not dispatch an event type without data', () => {
    const parser = new SseParser();
    expect(parser.push('event: ping\n\n')).toEqual([]);
    expect(parser.push('data: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
