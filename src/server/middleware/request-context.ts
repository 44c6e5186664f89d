/**
 * Per-request id, cancellation and shutdown gate, in one middleware because it runs on every request.
 * The id comes from the client's `X-Request-Id` (when it is a sane token) or is made up, and is
 * echoed back. The cancellation says when the client disconnected or the server's shutdown grace
 * period ended, and its signal reaches every model call; once shutdown starts, new requests get a 503.
 *
 * Under Node nothing is allocated for cancellation until a route asks for it: `aborted` is read off
 * the Node response, and the `AbortSignal` (one `AbortController` aborted from the response's
 * `close` event) is made on first use, since an `AbortController` and its listener per request are a
 * measurable share of a small request's cost. `app.request()` in tests takes the portable path.
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

/** What a route may poll without making a signal: `AbortSignal` has the same shape. */
export interface CancellationCheck {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
}

/** One request's cancellation: polled cheaply, or as a real `AbortSignal` made on first use. */
export class RequestCancellation implements CancellationCheck {
  private made: AbortSignal | undefined;

  constructor(
    private readonly gate: ShutdownGate,
    private readonly context: Context,
  ) {}

  get aborted(): boolean {
    if (this.made) return this.made.aborted;
    const outgoing = (this.context.env as NodeBindings | undefined)?.outgoing;
    if (!outgoing) return this.signal.aborted;
    return this.gate.cancelled.aborted || (outgoing.destroyed && !outgoing.writableFinished);
  }

  get reason(): unknown {
    if (this.made) return this.made.reason;
    if (this.gate.cancelled.aborted) return this.gate.cancelled.reason;
    return this.aborted ? clientClosed() : undefined;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Aborts when the client disconnects or the shutdown grace period ends. */
  get signal(): AbortSignal {
    this.made ??= this.gate.signalFor(this.context);
    return this.made;
  }
}

/** The request's signal, for model calls and anything else that takes an `AbortSignal`. */
export function requestSignal(c: Context<ServerEnv>): AbortSignal {
  return c.get('cancellation').signal;
}

export class ShutdownGate {
  private readonly cancelAll = new AbortController();
  /** Requests whose response is not closed yet (Node path). */
  private readonly inFlight = new Set<AbortController>();
  private accepting = true;

  /** Aborted when the shutdown grace period ends. */
  get cancelled(): AbortSignal {
    return this.cancelAll.signal;
  }

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

  /**
   * The request's id and cancellation: the first middleware, so even a 401 names its request. With
   * `refuseWhenClosed` it also does `middleware()`'s job, for servers with no CORS or auth between
   * the two (one middleware less on every request).
   */
  requestContext(refuseWhenClosed = false): MiddlewareHandler<ServerEnv> {
    return async (c, next) => {
      const offered = requestHeader(c, REQUEST_ID_HEADER);
      const id = offered !== undefined && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
      c.set('requestId', id);
      // Straight onto Node's response when there is one: a header set through Hono makes every
      // answer build a web `Headers` object, a measurable share of a small JSON answer's cost.
      const outgoing = (c.env as NodeBindings | undefined)?.outgoing;
      if (outgoing) outgoing.setHeader(REQUEST_ID_HEADER, id);
      else c.header(REQUEST_ID_HEADER, id);
      c.set('cancellation', new RequestCancellation(this, c));
      if (refuseWhenClosed && !this.accepting) throw shuttingDown();
      await next();
    };
  }

  /** A signal for one request (made when its route first asks for one). */
  signalFor(c: Context): AbortSignal {
    const outgoing = (c.env as NodeBindings | undefined)?.outgoing;
    if (!outgoing) return AbortSignal.any([c.req.raw.signal, this.cancelAll.signal]);
    if (this.cancelAll.signal.aborted) return this.cancelAll.signal;
    // Asked for after the client left: the `close` event is already past.
    if (outgoing.destroyed && !outgoing.writableFinished) return AbortSignal.abort(clientClosed());
    const controller = new AbortController();
    this.inFlight.add(controller);
    outgoing.once('close', () => {
      this.inFlight.delete(controller);
      if (!outgoing.writableFinished) controller.abort(clientClosed());
    });
    return controller.signal;
  }
}
