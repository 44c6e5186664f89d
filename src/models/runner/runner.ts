/**
 * One runner seen from the parent: a process or a thread (see `runner-transport.ts`) that loads one
 * model and answers calls. This class only speaks the protocol and notices the runner's end;
 * queues, keep-alive and eviction belong to the pool.
 */
import type { ModelDescription } from '../spec/index.ts';
import { ProcessTransport } from './process-transport.ts';
import {
  type ChildMessage,
  callbackKey,
  deserializeError,
  type FactorySpec,
  type MarshalledArguments,
  type ParentMessage,
  unpackVectors,
} from './protocol.ts';
import { runnerCrashed, runnerStopped, unsendable } from './runner-errors.ts';
import type { RunnerIsolation, RunnerTransport, RunnerTransportOptions } from './runner-transport.ts';
import { ThreadTransport } from './thread-transport.ts';

export interface RunnerOptions extends RunnerTransportOptions {
  /** A process of its own (the default) or a thread of this process. */
  isolation?: RunnerIsolation;
}

export interface RunnerReady {
  description: ModelDescription;
  properties: Record<string, unknown>;
  methods: string[];
}

interface PendingCall {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onPart?: (part: unknown) => void;
  callbacks: MarshalledArguments['callbacks'];
}

const STOP_GRACE_MS = 2000;
const MEMORY_QUERY_TIMEOUT_MS = 1000;

export class Runner {
  readonly pid: number;
  readonly ready: Promise<RunnerReady>;
  rssBytes = 0;
  /** Set once the runner has ended, expectedly or not. */
  exited = false;
  private readonly transport: RunnerTransport;
  private readonly pending = new Map<number, PendingCall>();
  private readonly memoryQueries = new Map<number, (rss: number) => void>();
  private nextId = 1;
  private stopping: string | undefined;
  /** Set once the model has loaded and the runner takes calls. */
  loaded = false;
  private readonly exitListeners: Array<(unexpected: boolean) => void> = [];

  constructor(
    readonly spec: FactorySpec,
    options: RunnerOptions = {},
  ) {
    this.transport = options.isolation === 'thread' ? new ThreadTransport(options) : new ProcessTransport(options);
    this.pid = this.transport.pid;
    this.ready = new Promise<RunnerReady>((resolve, reject) => {
      this.transport.onMessage((message: ChildMessage) => {
        if (message.type === 'ready') {
          this.loaded = true;
          this.rssBytes = message.rssBytes;
          resolve({ description: message.description, properties: message.properties, methods: message.methods });
        } else if (message.type === 'load-failed') {
          reject(deserializeError(message.error));
          this.stop('load failed');
        } else {
          this.receive(message);
        }
      });
      this.onExit(() => {
        if (!this.loaded) reject(this.exitError('loading'));
      });
    });
    // The pool reports load failures through its own promise; this keeps Node from calling them unhandled.
    this.ready.catch(() => {});
    this.transport.onExit((code, signal) => this.handleExit(code, signal));
    this.post({ type: 'load', spec });
  }

  /** Called once when the process ends; `unexpected` is false after `stop()`. */
  onExit(listener: (unexpected: boolean) => void): void {
    this.exitListeners.push(listener);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends one call; `onPart` receives stream parts. Returns the id (for `abort`) and the outcome. */
  call(
    method: string,
    marshalled: MarshalledArguments,
    onPart?: (part: unknown) => void,
  ): { id: number; done: Promise<unknown> } {
    const id = this.nextId++;
    const done = new Promise<unknown>((resolve, reject) => {
      if (this.exited) return reject(this.exitError(`${method}()`));
      try {
        this.post({ type: 'call', id, method, args: marshalled.args, slots: marshalled.slots, stream: !!onPart });
      } catch (error) {
        return reject(unsendable(this.spec.key, method, error));
      }
      this.pending.set(id, { method, resolve, reject, onPart, callbacks: marshalled.callbacks });
    });
    return { id, done };
  }

  /**
   * Whether this runner keeps the parent's event loop alive. Idle runners do not, so a program that
   * is done exits (its runners then see the channel close and exit too) without calling shutdown.
   */
  hold(held: boolean): void {
    this.transport.hold(held);
  }

  abort(id: number): void {
    if (this.pending.has(id)) this.post({ type: 'abort', id });
  }

  /** The runner's resident memory now, or the last figure it reported when it does not answer soon. */
  async memory(): Promise<number> {
    if (this.exited || !this.loaded) return this.rssBytes;
    const id = this.nextId++;
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        this.memoryQueries.delete(id);
        resolve(this.rssBytes);
      }, MEMORY_QUERY_TIMEOUT_MS);
      this.memoryQueries.set(id, (rss) => {
        clearTimeout(timer);
        resolve(rss);
      });
      this.post({ type: 'memory', id });
    });
  }

  /** Ends the runner (SIGTERM, then SIGKILL after a grace period); calls in flight fail with `reason`. */
  stop(reason: string): Promise<void> {
    this.stopping ??= reason;
    if (this.exited) return Promise.resolve();
    const ended = new Promise<void>((resolve) => this.onExit(() => resolve()));
    this.transport.end(false);
    const force = setTimeout(() => this.transport.end(true), STOP_GRACE_MS);
    return ended.finally(() => clearTimeout(force));
  }

  /** Throws when the message cannot be serialized (a function or a class with private state in it). */
  private post(message: ParentMessage): void {
    if (!this.exited) this.transport.send(message);
  }

  private receive(message: ChildMessage): void {
    if (message.type === 'memory') {
      this.rssBytes = message.rssBytes;
      this.memoryQueries.get(message.id)?.(message.rssBytes);
      this.memoryQueries.delete(message.id);
      return;
    }
    if (!('id' in message)) return;
    const call = this.pending.get(message.id);
    if (!call) return;
    switch (message.type) {
      case 'part':
        call.onPart?.(message.part);
        break;
      case 'callback':
        try {
          call.callbacks.get(callbackKey(message.argument, message.key))?.(...message.values);
        } catch {
          // A throwing progress callback is the caller's problem, not the runner's.
        }
        break;
      case 'result':
      case 'end':
        this.rssBytes = message.rssBytes;
        this.pending.delete(message.id);
        call.resolve(message.type === 'result' ? unpackVectors(message.value, message.packed) : undefined);
        break;
      case 'error':
        this.rssBytes = message.rssBytes;
        this.pending.delete(message.id);
        call.reject(deserializeError(message.error));
        break;
    }
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    this.exitCode = code;
    this.exitSignal = signal;
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.reject(this.exitError(`${call.method}()`));
    }
    for (const resolve of this.memoryQueries.values()) resolve(this.rssBytes);
    this.memoryQueries.clear();
    for (const listener of this.exitListeners) listener(this.stopping === undefined);
  }

  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;

  private exitError(during: string): Error {
    if (this.stopping !== undefined) return runnerStopped(this.spec.key, this.stopping);
    return runnerCrashed(this.spec.key, during, {
      code: this.exitCode,
      signal: this.exitSignal,
      output: this.transport.outputTail,
    });
  }
}
