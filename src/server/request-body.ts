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

/**
 * One body being read: `data`, `end` and `close` are all it listens to (an `IncomingMessage` emits
 * `error` only when someone listens for it; a broken or aborted body always ends in `close`).
 */
class IncomingBody {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly maxBytes: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  readonly onData = (chunk: Buffer): void => {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      // What is left of the body is left to the adapter, which drains or drops the connection.
      this.settle();
      this.chunks.length = 0;
      this.reject(payloadTooLarge(this.maxBytes));
      return;
    }
    this.chunks.push(chunk);
  };

  readonly onEnd = (): void => {
    if (this.settled) return;
    this.settle();
    const { chunks } = this;
    this.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size));
  };

  readonly onClose = (): void => {
    if (this.settled) return;
    this.settle();
    // An AbortError, as for every other disconnect: answered as cancelled, not logged as our bug.
    this.reject(clientClosed());
  };

  private settle(): void {
    this.settled = true;
    this.incoming.off('data', this.onData);
    this.incoming.off('end', this.onEnd);
    this.incoming.off('close', this.onClose);
  }
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (incoming.readableEnded || incoming.readableDidRead) {
    return Promise.reject(new TypeError('the request body was already read'));
  }
  if (incoming.destroyed) return Promise.reject(clientClosed());
  return new Promise<Buffer>((resolve, reject) => {
    const body = new IncomingBody(incoming, maxBytes, resolve, reject);
    incoming.on('data', body.onData);
    incoming.on('end', body.onEnd);
    incoming.on('close', body.onClose);
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
