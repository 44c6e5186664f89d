/**
 * The SSE body of a streamed OpenAI answer: the route's events, then `[DONE]` for chat and text
 * completions (the Responses API ends with its own last event). A failure once the stream has begun
 * becomes one error event, the usual error body by default (never a stack trace; our own bugs are
 * logged); a disconnect ends it quietly. Whatever happens, the model's part iterator is closed (which
 * stops its generation) and its lease released.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { type ErrorBody, mapError } from '../http-errors.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

/** Sends one event: its JSON, under an `event:` name where the protocol names them. */
export type SendEvent = (data: unknown, event?: string) => Promise<void>;

/** How a protocol ends its stream and tells of a failure. */
export interface StreamEnding {
  /** Written after the last event when all went well. */
  doneMarker?: string;
  /** The event a failure becomes, from the usual error body. */
  failure: (body: ErrorBody) => { data: unknown; event?: string };
}

const CHAT_ENDING: StreamEnding = { doneMarker: '[DONE]', failure: (body) => ({ data: body }) };

export function streamAnswer(
  c: Context<ServerEnv>,
  options: {
    services: ServerServices;
    signal: AbortSignal;
    /** Closes the current part iterator (read when the stream ends, so it may change meanwhile). */
    closeParts: () => Promise<unknown> | undefined;
    release: () => void;
    ending?: StreamEnding;
  },
  write: (send: SendEvent) => Promise<void>,
): Response {
  return streamSSE(c, async (sse) => {
    const send: SendEvent = (data, event) =>
      sse.writeSSE({ data: JSON.stringify(data), ...(event === undefined ? {} : { event }) });
    const ending = options.ending ?? CHAT_ENDING;
    try {
      await write(send);
      if (ending.doneMarker !== undefined) await sse.writeSSE({ data: ending.doneMarker });
    } catch (error) {
      if (!options.signal.aborted) {
        const mapped = mapError(error, c.get('requestId'));
        if (mapped.internal) {
          options.services.log(`mmkit serve: stream of request ${c.get('requestId')} failed: ${String(error)}`);
        }
        const failure = ending.failure(mapped.body);
        await send(failure.data, failure.event).catch(() => undefined);
      }
    } finally {
      await options.closeParts()?.catch(() => undefined);
      options.release();
    }
  });
}

/** One streamed part, with the request (choice) it belongs to. */
export interface PartInTurn<P> {
  index: number;
  part: P;
  /** The first part of its request's stream. */
  starts: boolean;
}

/**
 * The parts of several requests' streams (a choice each: `n`, several prompts), one stream after
 * another. The first part is read before this returns, so a failure to start still gets its status;
 * `close` stops the stream being read.
 */
export async function partsInTurn<R, P>(
  requests: readonly R[],
  open: (request: R) => AsyncIterable<P>,
): Promise<{ parts: AsyncGenerator<PartInTurn<P>>; close: () => Promise<unknown> | undefined }> {
  let current = open(requests[0]!)[Symbol.asyncIterator]();
  const first = await current.next();
  async function* parts(): AsyncGenerator<PartInTurn<P>> {
    let next = first;
    for (let index = 0; ; ) {
      for (let starts = true; !next.done; next = await current.next(), starts = false) {
        yield { index, part: next.value, starts };
      }
      if (++index >= requests.length) return;
      current = open(requests[index]!)[Symbol.asyncIterator]();
      next = await current.next();
    }
  }
  return { parts: parts(), close: () => current.return?.() };
}
