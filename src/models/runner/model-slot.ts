/**
 * One model in the pool: its runner (when loaded), the requests running in it and the bounded
 * queue of those waiting for a free place (`parallelism` at a time). Loading and eviction are the
 * pool's: a slot asks its host to start a runner and tells it whenever it may have become idle.
 */
import { type MarshalledArguments, marshalArguments } from './protocol.ts';
import type { Runner, RunnerReady } from './runner.ts';
import { abortError, queueFull } from './runner-errors.ts';
import type { RunnerSpec } from './runner-spec.ts';

export interface SlotSettings {
  keepAliveMs: number;
  parallelism: number;
  maxQueue: number;
  abortGraceMs: number;
}

export interface SlotHost {
  /** Loads a runner for the slot (making room first); rejects with the load error. */
  start(slot: ModelSlot): Promise<Runner>;
  /** The slot finished a request or lost its runner: it may be idle, or room may have freed. */
  changed(slot: ModelSlot): void;
}

interface Request {
  method: string;
  marshalled: MarshalledArguments;
  onPart?: (part: unknown) => void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  signal?: AbortSignal;
  detach: () => void;
  running?: { runner: Runner; id: number; done: Promise<unknown> };
}

export class ModelSlot {
  runner: Runner | undefined;
  /** What the model said about itself at its first load; kept across restarts. */
  info: RunnerReady | undefined;
  loading: Promise<Runner> | undefined;
  running = 0;
  lastUsedAt = Date.now();
  loadedAt: number | undefined;
  expiresAt: number | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** The runner's last reported memory, kept after unloading as the estimate for the next load. */
  lastRssBytes = 0;
  /** Set when the model moved elsewhere: why its runner ends once idle. */
  retiring: string | undefined;
  private readonly queue: Request[] = [];

  constructor(
    readonly spec: RunnerSpec,
    readonly settings: SlotSettings,
    private readonly host: SlotHost,
  ) {}

  get queueLength(): number {
    return this.queue.length;
  }

  get loaded(): boolean {
    return this.runner?.loaded === true && !this.runner.exited && this.loading === undefined;
  }

  /** Loaded, nothing running or waiting: eligible for keep-alive expiry and eviction. */
  get idle(): boolean {
    return this.loaded && this.running === 0 && this.queue.length === 0;
  }

  /** Runs one call in the runner, queueing it while `parallelism` calls are running. */
  submit(method: string, args: unknown[], onPart?: (part: unknown) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const marshalled = marshalArguments(args);
      const signal = marshalled.signal;
      if (signal?.aborted) return reject(abortError(signal));
      if (this.running >= this.settings.parallelism && this.queue.length >= this.settings.maxQueue) {
        return reject(queueFull(this.spec.key, this.settings.maxQueue));
      }
      const request: Request = {
        method,
        marshalled,
        onPart,
        resolve,
        reject,
        settled: false,
        signal,
        detach: () => {},
      };
      if (signal) {
        const onAbort = () => this.abort(request);
        signal.addEventListener('abort', onAbort, { once: true });
        request.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(request);
      this.cancelExpiry();
      this.pump();
    });
  }

  /** Fails every waiting request (a load failed, or the pool shuts down). */
  failQueued(error: unknown): void {
    for (const request of this.queue.splice(0)) this.settle(request, () => request.reject(error));
  }

  cancelExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiresAt = undefined;
  }

  /** Starts queued requests while there is a free place, loading the runner first when needed. */
  pump(): void {
    if (this.queue.length === 0) return;
    if (!this.loaded) {
      if (this.loading) return;
      this.host.start(this).then(
        () => this.pump(),
        (error) => this.failQueued(error),
      );
      return;
    }
    while (this.running < this.settings.parallelism && this.queue.length > 0) {
      this.dispatch(this.runner!, this.queue.shift()!);
    }
  }

  private dispatch(runner: Runner, request: Request): void {
    this.running += 1;
    this.lastUsedAt = Date.now();
    runner.hold(true);
    const { id, done } = runner.call(request.method, request.marshalled, request.onPart);
    request.running = { runner, id, done };
    // Bookkeeping first, so a caller that looks at the pool right after its call sees it finished.
    const finish = (outcome: () => void) => {
      this.running -= 1;
      this.lastUsedAt = Date.now();
      this.lastRssBytes = runner.rssBytes;
      this.settle(request, outcome);
      this.host.changed(this);
      this.pump();
    };
    done.then(
      (value) => finish(() => request.resolve(value)),
      (error) => finish(() => request.reject(error)),
    );
  }

  private abort(request: Request): void {
    const queued = this.queue.indexOf(request);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(request, () => request.reject(abortError(request.signal!)));
    const running = request.running;
    if (!running) {
      this.host.changed(this);
      return;
    }
    running.runner.abort(running.id);
    // A model that ignores the abort would hold its place forever: end its runner after a grace period.
    const grace = setTimeout(() => {
      if (!running.runner.exited) void running.runner.stop('a request did not stop after it was aborted');
    }, this.settings.abortGraceMs);
    grace.unref();
    running.done.then(
      () => clearTimeout(grace),
      () => clearTimeout(grace),
    );
  }

  private settle(request: Request, outcome: () => void): void {
    if (request.settled) return;
    request.settled = true;
    request.detach();
    outcome();
  }
}
