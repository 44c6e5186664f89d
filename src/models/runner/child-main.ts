/**
 * The runner: loads one model with its factory module and serves calls from the parent until the
 * parent goes away. In a process it talks over the IPC channel and exits as soon as that closes (the
 * parent stopped it, exited or was killed), so no runner outlives its server; in a worker thread it
 * talks over the thread's port and ends with the thread.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { describeError, MmkitError } from '../../errors.ts';
import type { ModelDescription } from '../spec/index.ts';
import { CAPABILITY_SHAPES } from './capabilities.ts';
import {
  type ChildMessage,
  type FactorySpec,
  type ParentMessage,
  packVectors,
  serializeError,
  unmarshalArguments,
} from './protocol.ts';

type LoadedModel = Record<string, unknown> & { description?: ModelDescription };

let model: LoadedModel | undefined;
const running = new Map<number, AbortController>();

function send(message: ChildMessage): void {
  if (!parentPort && !process.connected) return;
  try {
    if (parentPort) parentPort.postMessage(message);
    else process.send?.(message);
  } catch (error) {
    // A value the structured clone cannot carry (a function, a class with private state).
    if ('id' in message && message.type !== 'error') {
      const failure = new MmkitError(`the runner could not send its ${message.type}: ${describeError(error)}`, {
        code: 'runner_unserializable',
        type: 'runtime_error',
      });
      send({ type: 'error', id: message.id, error: serializeError(failure), rssBytes: rss() });
    }
  }
}

/** RSS when this thread started: a thread shares its process's memory, so it reports what grew since. */
const baselineRss = parentPort ? process.memoryUsage.rss() : 0;

/**
 * The runner's resident memory: its process's, or in a thread the process's growth since the thread
 * started (an estimate: other threads' growth counts too, which makes a memory budget stricter, not laxer).
 */
function rss(): number {
  return Math.max(0, process.memoryUsage.rss() - baselineRss);
}

/** How long a reading sent with a call's answer may be reused: reading it costs 10–30 µs. */
const RECENT_RSS_MS = 20;
let recentRss = { bytes: 0, at: Number.NEGATIVE_INFINITY };

/**
 * The memory sent with each answer. Fast calls back to back (an embeddings batch every few hundred
 * microseconds) reuse a reading taken moments ago; a memory query always reads afresh.
 */
function rssAfterCall(): number {
  const now = performance.now();
  if (now - recentRss.at > RECENT_RSS_MS) recentRss = { bytes: rss(), at: now };
  return recentRss.bytes;
}

async function importFactory(spec: FactorySpec): Promise<(options: unknown, context: object) => unknown> {
  const specifier = isAbsolute(spec.factoryModule) ? pathToFileURL(spec.factoryModule).href : spec.factoryModule;
  let module: Record<string, unknown>;
  try {
    module = await import(specifier);
  } catch (error) {
    throw new MmkitError(
      `cannot load the factory module ${spec.factoryModule} for ${spec.key}: ${describeError(error)}`,
      {
        code: 'runner_factory_unavailable',
        param: 'factoryModule',
        type: 'runtime_error',
      },
    );
  }
  const exportName = spec.factoryExport ?? (typeof module.createModel === 'function' ? 'createModel' : 'default');
  const factory = module[exportName];
  if (typeof factory !== 'function') {
    throw new MmkitError(`the factory module ${spec.factoryModule} has no function export '${exportName}'`, {
      code: 'runner_factory_invalid',
      param: 'factoryExport',
      type: 'runtime_error',
    });
  }
  return factory as (options: unknown, context: object) => unknown;
}

async function load(spec: FactorySpec): Promise<void> {
  try {
    const factory = await importFactory(spec);
    const built = (await factory(spec.options, { key: spec.key, capability: spec.capability })) as LoadedModel;
    const shape = CAPABILITY_SHAPES[spec.capability];
    const missing = Object.keys(shape.methods).filter((method) => typeof built?.[method] !== 'function');
    if (missing.length > 0) {
      throw new MmkitError(
        `the factory for ${spec.key} built no ${spec.capability} model: it lacks ${missing.join(', ')}()`,
        { code: 'runner_factory_invalid', param: 'capability', type: 'runtime_error' },
      );
    }
    model = built;
    const optional = Object.keys(shape.optionalMethods ?? {}).filter((method) => typeof built[method] === 'function');
    const properties = Object.fromEntries(shape.properties.map((name) => [name, built[name]]));
    send({
      type: 'ready',
      description: built.description ?? { id: spec.key, provider: 'unknown' },
      properties,
      methods: [...Object.keys(shape.methods), ...optional],
      rssBytes: rss(),
    });
  } catch (error) {
    const failure =
      error instanceof MmkitError
        ? error
        : new MmkitError(`cannot load ${spec.key}: ${describeError(error)}`, {
            code: 'model_load_failed',
            type: 'runtime_error',
          });
    send({ type: 'load-failed', error: serializeError(failure) });
  }
}

async function call(message: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  const controller = new AbortController();
  running.set(message.id, controller);
  try {
    const target = model?.[message.method];
    if (typeof target !== 'function') {
      throw new MmkitError(`the loaded model has no method ${message.method}()`, {
        code: 'runner_method_unknown',
        type: 'runtime_error',
      });
    }
    const args = unmarshalArguments(message.args, message.slots, controller.signal, (argument, key, values) =>
      send({ type: 'callback', id: message.id, argument, key, values }),
    );
    const value = target.apply(model, args);
    if (message.stream) {
      for await (const part of value as AsyncIterable<unknown>) {
        if (controller.signal.aborted) break;
        send({ type: 'part', id: message.id, part });
      }
      controller.signal.throwIfAborted();
      send({ type: 'end', id: message.id, rssBytes: rssAfterCall() });
    } else {
      send({ type: 'result', id: message.id, ...packVectors(await value), rssBytes: rssAfterCall() });
    }
  } catch (error) {
    send({ type: 'error', id: message.id, error: serializeError(error), rssBytes: rssAfterCall() });
  } finally {
    running.delete(message.id);
  }
}

function receive(message: ParentMessage): void {
  switch (message.type) {
    case 'load':
      void load(message.spec);
      break;
    case 'call':
      void call(message);
      break;
    case 'abort':
      running.get(message.id)?.abort(new DOMException('the request was aborted', 'AbortError'));
      break;
    case 'memory':
      send({ type: 'memory', id: message.id, rssBytes: rss() });
      break;
  }
}

/** In a thread, what the model writes to stdout and stderr goes to the parent, as a process's pipes would. */
function sendOutput(port: NonNullable<typeof parentPort>): void {
  const decoder = new TextDecoder();
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      port.postMessage({ type: 'output', text: typeof chunk === 'string' ? chunk : decoder.decode(chunk) });
      const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
}

if (parentPort) {
  sendOutput(parentPort);
  parentPort.on('message', receive);
} else {
  process.on('disconnect', () => process.exit(0));
  process.on('message', receive);
}
