/**
 * Per-request signal and shutdown gate. The signal aborts when the client disconnects or when the
 * server's shutdown grace period ends, and reaches every model call; once shutdown starts, new
 * requests get a 503.
 */
import type { MiddlewareHandler } from 'hono';
import { shuttingDown } from '../http-errors.ts';
import type { ServerEnv } from '../server-context.ts';

export class ShutdownGate {
  private readonly cancelAll = new AbortController();
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
    this.cancelAll.abort(new DOMException('the server is shutting down', 'AbortError'));
  }

  middleware(): MiddlewareHandler<ServerEnv> {
    return async (c, next) => {
      if (!this.accepting) throw shuttingDown();
      c.set('signal', AbortSignal.any([c.req.raw.signal, this.cancelAll.signal]));
      await next();
    };
  }
}
