/** What `ModelRunnerPool.acquire` takes: the model to load and how its runner behaves. */
import type { FactorySpec } from './protocol.ts';
import type { RunnerIsolation } from './runner-transport.ts';

export interface RunnerSpec extends FactorySpec {
  /** Unload this long after the last request (ms); 0 unloads right after it, a negative value never. */
  keepAliveMs?: number;
  /** Requests the runner works on at once. */
  parallelism?: number;
  /** Requests that may wait beyond those running; more are refused with `queue_full`. */
  maxQueue?: number;
  /** Extra Node flags for this model's runner, e.g. `--max-old-space-size=8192`. */
  execArgv?: string[];
}

export interface RunnerPoolOptions {
  /** Default keep-alive (ms): 5 minutes. */
  keepAliveMs?: number;
  /** Models loaded at once before the least recently used idle one is unloaded: 3. */
  maxLoadedModels?: number;
  /** Resident memory (bytes) all runners together may use; idle models are unloaded to stay under it. */
  memoryBudgetBytes?: number;
  /** Default requests per model at once: 1. */
  parallelism?: number;
  /** Default waiting requests per model: 64. */
  maxQueue?: number;
  /** How long an aborted call may keep running before its runner is ended (ms): 5 s. */
  abortGraceMs?: number;
  /** Copy runners' stdout/stderr to this process's stderr. */
  inheritOutput?: boolean;
  /** Environment for runners (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Each runner a process of its own (the default) or a worker thread of this process. */
  isolation?: RunnerIsolation;
}

export const DEFAULT_POOL_OPTIONS = {
  keepAliveMs: 5 * 60 * 1000,
  maxLoadedModels: 3,
  parallelism: 1,
  maxQueue: 64,
  abortGraceMs: 5000,
} as const;

export type RunnerState = 'loading' | 'idle' | 'busy';

/** One line of `mmkit models ps`. */
export interface RunnerStatus {
  key: string;
  capability: string;
  /** Null while the model waits for room to load. */
  pid: number | null;
  rssBytes: number;
  state: RunnerState;
  running: number;
  queueLength: number;
  /** Milliseconds since the last request finished (0 while busy). */
  idleMs: number;
  /** Milliseconds until keep-alive unloads it; null while busy or when it never expires. */
  expiresInMs: number | null;
  /** ISO time the runner finished loading. */
  loadedAt: string | null;
}
