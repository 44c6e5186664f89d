import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { mapError } from './http-errors.ts';
import { readBodyText } from './request-body.ts';
import { readJsonBody } from './validation.ts';

const LIMIT = 64;

/** Echoes the body it read (or the error it met) and records what each read ended with. */
function echoApp(outcomes: string[]): Hono {
  const app = new Hono();
  app.post('/text', async (c) => {
    try {
      const text = await readBodyText(c, LIMIT);
      outcomes.push(`read ${text.length}`);
      return c.json({ text });
    } catch (error) {
      outcomes.push(error instanceof DOMException ? error.name : String((error as Error).message));
      const mapped = mapError(error, 'test');
      return c.json(mapped.body, mapped.status as 400);
    }
  });
  app.post('/json', async (c) => c.json({ parsed: await readJsonBody(c, LIMIT) }));
  app.onError((error, c) => {
    const mapped = mapError(error, 'test');
    return c.json(mapped.body, mapped.status as 400);
  });
  return app;
}

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });
}

describe('readBodyText through app.request() (no Node request underneath)', () => {
  it('reads a streamed body, drops a byte-order mark, and refuses one over the limit with 413', async () => {
    const app = echoApp([]);
    const streamed = await app.request('/text', {
      method: 'POST',
      body: streamOf(['\ufeff{"a":', '1}']),
      duplex: 'half',
    } as RequestInit);
    expect(await streamed.json()).toEqual({ text: '{"a":1}' });
    const tooLarge = await app.request('/text', {
      method: 'POST',
      body: streamOf(['x'.repeat(40), 'y'.repeat(40)]),
      duplex: 'half',
    } as RequestInit);
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
  });

  it('readJsonBody: a declared length over the limit is 413 before the content type is looked at', async () => {
    const app = echoApp([]);
    const declared = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'content-length': String(LIMIT + 1) },
      body: 'x'.repeat(LIMIT + 1),
    });
    expect(declared.status).toBe(413);
    const wrongType = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(wrongType.status).toBe(415);
    const broken = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(broken.status).toBe(400);
    const good = await app.request('/json', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"b":[2]}',
    });
    expect(await good.json()).toEqual({ parsed: { b: [2] } });
  });
});

describe('readBodyText under @hono/node-server (read off the IncomingMessage)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  async function serve(outcomes: string[]): Promise<number> {
    server = createServer(getRequestListener(echoApp(outcomes).fetch));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** A chunked POST whose parts are written one event-loop turn apart; `end: false` leaves it unfinished. */
  function post(port: number, parts: string[], end = true): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/text' }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      const writeNext = (index: number) => {
        if (index === parts.length) {
          if (end) request.end();
          return;
        }
        request.write(parts[index]);
        setTimeout(() => writeNext(index + 1), 5);
      };
      writeNext(0);
      if (!end) setTimeout(() => request.destroy(), 50);
    });
  }

  it('joins a body sent in several pieces and drops a byte-order mark', async () => {
    const port = await serve([]);
    const answer = await post(port, ['\ufeff{"input":', '"a red', ' car"}']);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ text: '{"input":"a red car"}' });
  });

  it('refuses a chunked body once it passes the limit (413), and keeps serving', async () => {
    const port = await serve([]);
    const answer = await post(port, ['x'.repeat(40), 'y'.repeat(40), 'z'.repeat(40)]);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('body_too_large');
    expect((await post(port, ['ok'])).body).toBe('{"text":"ok"}');
  });

  it('rejects the read when the client goes away mid-body', async () => {
    const outcomes: string[] = [];
    const port = await serve(outcomes);
    await expect(post(port, ['{"input":'], false)).rejects.toThrow();
    for (let wait = 0; wait < 100 && outcomes.length === 0; wait++) await new Promise((r) => setTimeout(r, 10));
    expect(outcomes).toEqual(['AbortError']);
  });
});
