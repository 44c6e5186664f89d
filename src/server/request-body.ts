/**
 * Reading a JSON route's body with its size limit (413). Under @hono/node-server the bytes are
 * read straight off Node's `IncomingMessage` (`c.env.incoming`): the adapter's own body reading
 * costs several times what the few `data`/`end` events of a small body do, and small JSON bodies
 * are the server's most frequent requests. Elsewhere (`app.request()` in tests, other runtimes)
 * the web `Request`'s stream is read, counting bytes as they come. Either way a body over the
 * limit is refused as soon as its declared length or its running count says so, never buffered whole.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { payloadTooLarge } from './http-errors.ts';
import { requestHeader } from './middleware/request-context.ts';

/** The Node request under @hono/node-server, else undefined. */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/** 413 when the declared `Content-Length` is over the limit (a chunked body is counted as it is read). */
export function refuseDeclaredOverLimit(c: Context, maxBytes: number): void {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
}

/** The whole body as text (UTF-8, a leading byte-order mark dropped as `Request.text()` does). */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const incoming = nodeIncoming(c);
  const bytes = incoming ? await readIncoming(incoming, maxBytes) : await readWebBody(c.req.raw, maxBytes);
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const clientClosed = () => new DOMException('the client closed the connection', 'AbortError');

/** The state of a body being read, kept on its `IncomingMessage` until the read settles. */
interface BodyRead {
  chunks: Buffer[];
  size: number;
  maxBytes: number;
  resolve: (body: Buffer) => void;
  reject: (error: unknown) => void;
}

const BODY_READ = Symbol('mmkit.bodyRead');
type ReadingMessage = IncomingMessage & { [BODY_READ]?: BodyRead | undefined };

/*
 * The listeners are shared by every request (`this` is the request): no closures per request.
 * `data`, `end` and `close` are all it takes (an `IncomingMessage` emits `error` only when someone
 * listens for it; a broken or aborted body always ends in `close`). They stay attached once the
 * read settles and do nothing from then on: what is left of an over-limit body flows by unread.
 */
function onBodyData(this: ReadingMessage, chunk: Buffer): void {
  const read = this[BODY_READ];
  if (!read) return;
  read.size += chunk.length;
  if (read.size > read.maxBytes) {
    this[BODY_READ] = undefined;
    read.reject(payloadTooLarge(read.maxBytes));
    return;
  }
  read.chunks.push(chunk);
}

function onBodyEnd(this: ReadingMessage): void {
  const read = this[BODY_READ];
  if (!read) return;
  this[BODY_READ] = undefined;
  const { chunks } = read;
  read.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, read.size));
}

function onBodyClose(this: ReadingMessage): void {
  const read = this[BODY_READ];
  if (!read) return;
  this[BODY_READ] = undefined;
  // An AbortError, as for every other disconnect: answered as cancelled, not logged as our bug.
  read.reject(clientClosed());
}

function readIncoming(incoming: ReadingMessage, maxBytes: number): Promise<Buffer> {
  if (incoming.readableEnded || incoming.readableDidRead || incoming[BODY_READ]) {
    return Promise.reject(new TypeError('the request body was already read'));
  }
  if (incoming.destroyed) return Promise.reject(clientClosed());
  return new Promise<Buffer>((resolve, reject) => {
    incoming[BODY_READ] = { chunks: [], size: 0, maxBytes, resolve, reject };
    incoming.on('data', onBodyData);
    incoming.on('end', onBodyEnd);
    incoming.on('close', onBodyClose);
  });
}

async function readWebBody(request: Request, maxBytes: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
