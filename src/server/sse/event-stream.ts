/**
 * The `/api/*` event streams (docs/http-api.md): `event: <type>` + `data: <json>`. The work gets a
 * signal that aborts when the client goes away (or the server shuts down); a failure after the
 * stream started ends it with one `error` event carrying the usual error body, never `done`.
 * Checks that can fail belong before `eventStream` is called, so they still get a 4xx status.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { isAbortError, mapError } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export type SendEvent = (type: string, data: unknown) => Promise<void>;

export type EventStreamWork = (send: SendEvent, signal: AbortSignal) => Promise<void>;

export function eventStream(
  c: Context<ServerEnv>,
  services: Pick<ServerServices, 'log'>,
  work: EventStreamWork,
  /** Runs once the stream has ended, however it ended (e.g. a model lease's release). */
  cleanup?: () => void,
): Response {
  const cancel = new AbortController();
  const signal = AbortSignal.any([requestSignal(c), cancel.signal]);
  c.header('Cache-Control', 'no-store');
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => cancel.abort(new DOMException('the client closed the connection', 'AbortError')));
    const send: SendEvent = async (type, data) => {
      if (signal.aborted) throw signal.reason;
      await stream.writeSSE({ event: type, data: JSON.stringify(data) });
    };
    try {
      await work(send, signal);
    } catch (error) {
      if (signal.aborted || stream.aborted || (isAbortError(error) && c.req.raw.signal.aborted)) return;
      const mapped = mapError(error, c.get('requestId'));
      if (mapped.internal) {
        services.log(`mmkit serve: stream of request ${c.get('requestId')} failed: ${String(error)}`);
      }
      await stream.writeSSE({ event: 'error', data: JSON.stringify(mapped.body) }).catch(() => undefined);
    } finally {
      cancel.abort();
      cleanup?.();
    }
  });
}

export interface OrderedSends {
  /** Queues a send behind the ones queued before it. */
  queue(sendOne: () => Promise<void>): void;
  /** Resolves once every queued send is done. */
  done(): Promise<void>;
}

/**
 * Sends queued from synchronous callbacks (a denoising step, a finished window), kept in order.
 * A failed send (the client went away) is dropped: the work notices through its signal.
 */
export function orderedSends(): OrderedSends {
  let chain = Promise.resolve();
  return {
    queue: (sendOne) => {
      chain = chain.then(sendOne).catch(() => undefined);
    },
    done: () => chain,
  };
}
