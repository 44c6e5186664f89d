/**
 * Per-request id, signal and shutdown gate, in one middleware because it runs on every request.
 * The id comes from the client's `X-Request-Id` (when it is a sane token) or is made up, and is
 * echoed back. The signal aborts when the client disconnects or when the server's shutdown grace
 * period ends, and reaches every model call; once shutdown starts, new requests get a 503.
 *
 * Under Node the signal is one `AbortController` aborted from the response's `close` event (and
 * headers are read from the Node request), which is much cheaper per request than `AbortSignal.any`
 * over the web `Request`'s signal; `app.request()` in tests takes the portable path.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { shuttingDown } from '../http-errors.ts';
import type { ServerEnv } from '../server-context.ts';

const REQUEST_ID_HEADER = 'X-Request-Id';
/** What a client-chosen id may look like (Hono's request-id middleware uses the same rule). */
const SANE_REQUEST_ID = /^[\w\-=]{1,255}$/;

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** A request header, straight from Node's parsed headers when served by Node. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  if (incoming) {
    const value = incoming.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return c.req.header(name);
}

const clientClosed = () => new DOMException('the client closed the connection', 'AbortError');

export class ShutdownGate {
  private readonly cancelAll = new AbortController();
  /** Requests whose response is not closed yet (Node path). */
  private readonly inFlight = new Set<AbortController>();
  private accepting = true;

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** New requests are refused from now on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Aborts the work of every request still running (the end of the grace period). */
  cancelInFlight(): void {
    const reason = new DOMException('the server is shutting down', 'AbortError');
    this.cancelAll.abort(reason);
    for (const controller of this.inFlight) controller.abort(reason);
    this.inFlight.clear();
  }

  /** Refuses requests once shutdown has started (after CORS and auth, so a 503 carries their headers). */
  middleware(): MiddlewareHandler<ServerEnv> {
    return async (_c, next) => {
      if (!this.accepting) throw shuttingDown();
      await next();
    };
  }

  /** The request's id and signal: the first middleware, so even a 401 names its request. */
  requestContext(): MiddlewareHandler<ServerEnv> {
    return async (c, next) => {
      const offered = requestHeader(c, REQUEST_ID_HEADER);
      const id = offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
      c.set('requestId', id);
      // Straight onto Node's response when there is one: a header set through Hono makes every
      // answer build a web `Headers` object, a measurable share of a small JSON answer's cost.
      const outgoing = (c.env as NodeBindings | undefined)?.outgoing;
      if (outgoing) outgoing.setHeader(REQUEST_ID_HEADER, id);
      else c.header(REQUEST_ID_HEADER, id);
      c.set('signal', this.signalFor(c));
      await next();
    };
  }

  private signalFor(c: Context): AbortSignal {
    const outgoing = (c.env as NodeBindings | undefined)?.outgoing;
    if (!outgoing) return AbortSignal.any([c.req.raw.signal, this.cancelAll.signal]);
    const controller = new AbortController();
    this.inFlight.add(controller);
    outgoing.once('close', () => {
      this.inFlight.delete(controller);
      if (!outgoing.writableFinished) controller.abort(clientClosed());
    });
    return controller.signal;
  }
}
