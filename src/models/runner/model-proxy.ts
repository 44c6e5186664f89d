/**
 * The object `acquire` hands out: it implements the capability interface, and each method call
 * goes through the model's slot (queue, runner, IPC). It stays valid across unloads and crashes:
 * the next call loads the runner again.
 */
import { CAPABILITY_SHAPES, type Capability, type CapabilityModels } from './capabilities.ts';
import type { ModelSlot } from './model-slot.ts';
import type { RunnerReady } from './runner.ts';

export function buildModelProxy<C extends Capability>(slot: ModelSlot, capability: C, info: RunnerReady) {
  const proxy: Record<string, unknown> = { description: info.description, ...info.properties };
  const shape = CAPABILITY_SHAPES[capability];
  const methods = { ...shape.methods, ...shape.optionalMethods };
  for (const [method, kind] of Object.entries(methods)) {
    if (!info.methods.includes(method)) continue;
    proxy[method] =
      kind === 'stream'
        ? (...args: unknown[]) => relayStream(slot, method, args)
        : (...args: unknown[]) => slot.submit(method, args);
  }
  return Object.freeze(proxy) as unknown as CapabilityModels[C];
}

/**
 * Yields the runner's parts as they arrive. The call starts at the first `next()`; leaving the
 * loop early aborts it in the runner.
 */
async function* relayStream(slot: ModelSlot, method: string, args: unknown[]): AsyncGenerator<unknown> {
  const stopped = new AbortController();
  const [request, ...rest] = args;
  const callerSignal = (request as { signal?: AbortSignal } | undefined)?.signal;
  const signal = callerSignal ? AbortSignal.any([callerSignal, stopped.signal]) : stopped.signal;
  const parts: unknown[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failed = false;
  let failure: unknown;
  const done = slot.submit(method, [{ ...(request as object), signal }, ...rest], (part) => {
    parts.push(part);
    wake?.();
  });
  done.then(
    () => {
      finished = true;
      wake?.();
    },
    (error) => {
      finished = true;
      failed = true;
      failure = error;
      wake?.();
    },
  );
  try {
    while (true) {
      if (parts.length > 0) {
        yield parts.shift();
        continue;
      }
      if (finished) {
        if (failed) throw callerSignal?.aborted ? callerSignal.reason : failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    if (!finished) stopped.abort(new DOMException('the stream was closed early', 'AbortError'));
  }
}
