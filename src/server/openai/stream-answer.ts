/**
 * The SSE body of a streamed OpenAI answer (chat and text completions): the route's events, then
 * `[DONE]`. A failure once the stream has begun becomes one error event with the usual error body
 * (never a stack trace; our own bugs are logged); a disconnect ends it quietly. Whatever happens,
 * the model's part iterator is closed (which stops its generation) and its lease released.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { mapError } from '../http-errors.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';

export type SendEvent = (data: unknown) => Promise<void>;

export function streamAnswer(
  c: Context<ServerEnv>,
  options: {
    services: ServerServices;
    signal: AbortSignal;
    /** Closes the current part iterator (read when the stream ends, so it may change meanwhile). */
    closeParts: () => Promise<unknown> | undefined;
    release: () => void;
  },
  write: (send: SendEvent) => Promise<void>,
): Response {
  return streamSSE(c, async (sse) => {
    const send: SendEvent = (data) => sse.writeSSE({ data: JSON.stringify(data) });
    try {
      await write(send);
      await sse.writeSSE({ data: '[DONE]' });
    } catch (error) {
      if (!options.signal.aborted) {
        const mapped = mapError(error, c.get('requestId'));
        if (mapped.internal) {
          options.services.log(`mmkit serve: stream of request ${c.get('requestId')} failed: ${String(error)}`);
        }
        await send(mapped.body).catch(() => undefined);
      }
    } finally {
      await options.closeParts()?.catch(() => undefined);
      options.release();
    }
  });
}
