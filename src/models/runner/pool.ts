/**
 * `ModelRunnerPool`: every loaded model lives in its own runner (a process, or a worker thread where
 * calls must cost less: `runner-transport.ts`), so unloading returns its memory and a crash fails
 * only that model's requests. The pool loads models on demand, unloads them after their keep-alive,
 * and keeps the number of loaded models and their resident memory under limits by unloading the
 * least recently used idle model (never one with requests running or waiting: a load that finds no
 * room waits instead).
 */
import { MmkitError } from '../../errors.ts';
import { type Capability, type CapabilityModels, isCapability } from './capabilities.ts';
import { buildModelProxy } from './model-proxy.ts';
import { ModelSlot, type SlotHost, type SlotSettings } from './model-slot.ts';
import { Runner } from './runner.ts';
import { poolShutDown } from './runner-errors.ts';
import {
  DEFAULT_POOL_OPTIONS,
  type RunnerPoolOptions,
  type RunnerSpec,
  type RunnerState,
  type RunnerStatus,
} from './runner-spec.ts';

export class ModelRunnerPool implements SlotHost {
  private readonly slots = new Map<string, ModelSlot>();
  private readonly proxies = new Map<string, unknown>();
  private roomWaiters: Array<() => void> = [];
  private closed = false;
  private readonly maxLoadedModels: number;
  private readonly memoryBudgetBytes: number | undefined;

  constructor(private readonly options: RunnerPoolOptions = {}) {
    this.maxLoadedModels = positiveInteger(
      options.maxLoadedModels ?? DEFAULT_POOL_OPTIONS.maxLoadedModels,
      'maxLoadedModels',
    );
    this.memoryBudgetBytes = options.memoryBudgetBytes;
  }

  /**
   * The model under `spec.key`, as an object implementing its capability interface. The key is the
   * model's identity: the first spec under a key wins. The first acquire loads the model (surfacing
   * load errors); later ones return the same proxy at once, and its calls load the model again if
   * keep-alive or eviction unloaded it meanwhile.
   */
  async acquire<C extends Capability>(spec: RunnerSpec & { capability: C }): Promise<CapabilityModels[C]> {
    if (this.closed) throw poolShutDown();
    const slot = this.slotFor(spec);
    const existing = this.proxies.get(spec.key);
    if (existing) return existing as CapabilityModels[C];
    if (!slot.loaded) await this.start(slot);
    this.changed(slot);
    // Concurrent first acquires share one proxy.
    const proxy = this.proxies.get(spec.key) ?? buildModelProxy(slot, spec.capability, slot.info!);
    this.proxies.set(spec.key, proxy);
    return proxy as CapabilityModels[C];
  }

  /** Ends the model's runner now; requests still running in it fail with `runner_stopped`. */
  async unload(key: string, reason = 'unloaded'): Promise<boolean> {
    const slot = this.slots.get(key);
    if (!slot?.runner || slot.runner.exited) return false;
    await this.stopSlot(slot, reason);
    return true;
  }

  /** Ends the model's runner once nothing runs or waits in it (at once when idle). */
  retire(key: string, reason: string): void {
    const slot = this.slots.get(key);
    if (!slot) return;
    slot.retiring = reason;
    if (slot.idle) void this.stopSlot(slot, reason);
  }

  /** What `mmkit models ps` shows: each loaded (or loading) model with its memory and timers. */
  async status(): Promise<RunnerStatus[]> {
    const now = Date.now();
    const active = [...this.slots.values()].filter((slot) => (slot.runner && !slot.runner.exited) || slot.loading);
    const rows = await Promise.all(
      active.map(async (slot): Promise<RunnerStatus> => {
        const runner = slot.runner && !slot.runner.exited ? slot.runner : undefined;
        const state: RunnerState = !slot.loaded ? 'loading' : slot.running > 0 ? 'busy' : 'idle';
        return {
          key: slot.spec.key,
          capability: slot.spec.capability,
          pid: runner?.pid ?? null,
          rssBytes: runner && slot.loaded ? await runner.memory() : (runner?.rssBytes ?? 0),
          state,
          running: slot.running,
          queueLength: slot.queueLength,
          idleMs: state === 'idle' ? now - slot.lastUsedAt : 0,
          expiresInMs: state === 'idle' && slot.expiresAt !== undefined ? Math.max(0, slot.expiresAt - now) : null,
          loadedAt: slot.loadedAt === undefined ? null : new Date(slot.loadedAt).toISOString(),
        };
      }),
    );
    return rows.sort((first, second) => first.key.localeCompare(second.key));
  }

  /** Ends every runner and refuses new work; waiting requests fail with `runner_shutdown`. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.wakeRoomWaiters();
    await Promise.all(
      [...this.slots.values()].map((slot) => {
        slot.failQueued(poolShutDown());
        return this.stopSlot(slot, 'the pool shut down');
      }),
    );
  }

  /** SlotHost: loads a runner for `slot` once there is room. */
  start(slot: ModelSlot): Promise<Runner> {
    if (slot.loading) return slot.loading;
    if (this.closed) return Promise.reject(poolShutDown());
    const loading = (async () => {
      const runner = await this.spawnWhenRoom(slot);
      const info = await runner.ready.catch((error) => {
        // The failed runner is on its way out (it stops itself): it holds no place any more.
        if (slot.runner === runner) slot.runner = undefined;
        throw error;
      });
      slot.info ??= info;
      slot.loadedAt = Date.now();
      slot.lastUsedAt = Date.now();
      slot.lastRssBytes = runner.rssBytes;
      return runner;
    })();
    slot.loading = loading;
    loading
      .finally(() => {
        if (slot.loading === loading) slot.loading = undefined;
        this.changed(slot);
      })
      .catch(() => {});
    return loading;
  }

  /** SlotHost: after a request, a load or an exit: wake waiting loads, start keep-alive, keep the budget. */
  changed(slot: ModelSlot): void {
    this.wakeRoomWaiters();
    if (this.closed) return;
    if (slot.idle && slot.retiring !== undefined) {
      void this.stopSlot(slot, slot.retiring);
      return;
    }
    if (slot.idle) slot.runner!.hold(false);
    if (slot.idle && slot.expiryTimer === undefined) this.scheduleExpiry(slot);
    this.keepMemoryBudget();
  }

  private slotFor(spec: RunnerSpec): ModelSlot {
    if (!spec.key) throw invalidSpec('the runner spec needs a key', 'key');
    if (!isCapability(spec.capability)) throw invalidSpec(`unknown capability '${spec.capability}'`, 'capability');
    if (!spec.factoryModule) throw invalidSpec('the runner spec needs a factoryModule', 'factoryModule');
    const existing = this.slots.get(spec.key);
    if (existing) {
      const same =
        existing.spec.capability === spec.capability &&
        existing.spec.factoryModule === spec.factoryModule &&
        existing.spec.factoryExport === spec.factoryExport;
      if (!same)
        throw invalidSpec(`${spec.key} is already loaded from another factory or as another capability`, 'key');
      return existing;
    }
    const settings: SlotSettings = {
      keepAliveMs: spec.keepAliveMs ?? this.options.keepAliveMs ?? DEFAULT_POOL_OPTIONS.keepAliveMs,
      parallelism: positiveInteger(
        spec.parallelism ?? this.options.parallelism ?? DEFAULT_POOL_OPTIONS.parallelism,
        'parallelism',
      ),
      maxQueue: Math.max(0, Math.floor(spec.maxQueue ?? this.options.maxQueue ?? DEFAULT_POOL_OPTIONS.maxQueue)),
      abortGraceMs: this.options.abortGraceMs ?? DEFAULT_POOL_OPTIONS.abortGraceMs,
    };
    const slot = new ModelSlot({ ...spec }, settings, this);
    this.slots.set(spec.key, slot);
    return slot;
  }

  private async spawnWhenRoom(slot: ModelSlot): Promise<Runner> {
    while (true) {
      if (this.closed) throw poolShutDown();
      const others = [...this.slots.values()].filter(
        (other) => other !== slot && other.runner !== undefined && !other.runner.exited,
      );
      if (this.fits(slot, others)) {
        // Spawned in the same tick as the check, so two loads never both take the last place.
        const runner = new Runner(slot.spec, {
          isolation: this.options.isolation,
          execArgv: slot.spec.execArgv,
          env: this.options.env,
          inheritOutput: this.options.inheritOutput,
        });
        slot.runner = runner;
        runner.onExit((unexpected) => this.runnerExited(slot, runner, unexpected));
        return runner;
      }
      const victim = leastRecentlyUsed(others.filter((other) => other.idle));
      if (victim) await this.stopSlot(victim, `unloaded to make room for ${slot.spec.key}`);
      else await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private fits(slot: ModelSlot, loaded: ModelSlot[]): boolean {
    if (loaded.length >= this.maxLoadedModels) return false;
    if (this.memoryBudgetBytes === undefined || loaded.length === 0) return true;
    return usedBytes(loaded) + slot.lastRssBytes <= this.memoryBudgetBytes;
  }

  /** Over budget: unload idle models, least recently used first, but never the last one loaded. */
  private keepMemoryBudget(): void {
    if (this.memoryBudgetBytes === undefined) return;
    const loaded = [...this.slots.values()].filter((slot) => slot.loaded);
    while (loaded.length > 1 && usedBytes(loaded) > this.memoryBudgetBytes) {
      const victim = leastRecentlyUsed(loaded.filter((slot) => slot.idle));
      if (!victim) return;
      loaded.splice(loaded.indexOf(victim), 1);
      void this.stopSlot(victim, 'unloaded to keep within the memory budget');
    }
  }

  private scheduleExpiry(slot: ModelSlot): void {
    const keepAlive = slot.settings.keepAliveMs;
    if (keepAlive < 0 || !Number.isFinite(keepAlive)) return;
    slot.expiresAt = Date.now() + keepAlive;
    slot.expiryTimer = setTimeout(() => {
      slot.expiryTimer = undefined;
      if (slot.idle) void this.stopSlot(slot, 'keep-alive expired');
    }, keepAlive);
    // An idle pool never keeps the program alive: when nothing else does, it exits and so do its runners.
    slot.expiryTimer.unref();
  }

  private async stopSlot(slot: ModelSlot, reason: string): Promise<void> {
    slot.cancelExpiry();
    await slot.runner?.stop(reason);
  }

  private runnerExited(slot: ModelSlot, runner: Runner, unexpected: boolean): void {
    if (slot.runner !== runner) return;
    slot.runner = undefined;
    slot.loadedAt = undefined;
    slot.cancelExpiry();
    if (runner.rssBytes > 0) slot.lastRssBytes = runner.rssBytes;
    this.wakeRoomWaiters();
    // After a crash, requests that were waiting (not running) start a fresh runner.
    if (unexpected && !this.closed) slot.pump();
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

function usedBytes(slots: ModelSlot[]): number {
  return slots.reduce((sum, slot) => sum + Math.max(slot.runner?.rssBytes ?? 0, slot.lastRssBytes), 0);
}

function leastRecentlyUsed(slots: ModelSlot[]): ModelSlot | undefined {
  return slots.reduce<ModelSlot | undefined>(
    (oldest, slot) => (oldest === undefined || slot.lastUsedAt < oldest.lastUsedAt ? slot : oldest),
    undefined,
  );
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw invalidSpec(`${name} must be a positive integer, got ${value}`, name);
  return value;
}

function invalidSpec(message: string, param: string): MmkitError {
  return new MmkitError(message, { code: 'invalid_runner_spec', param });
}
