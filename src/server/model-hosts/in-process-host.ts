/**
 * Models loaded in the server's own process through its registry, each behind a bounded queue.
 * What `--runners off` uses, what tests with in-memory fake providers need, and where the runner
 * host moves embedding models cheaper than the hop to a runner. Unloading here does not always
 * return memory (Transformers.js keeps it), which is why runners are the default.
 */
import { MmkitError } from '../../errors.ts';
import type { Capability } from '../../models/config.ts';
import type { CapabilityModels, ModelRegistry } from '../../models/registry.ts';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';
import { ModelQueue, type QueueSlot } from '../model-queue.ts';
import { describeLoadFailure, type ModelHost, type ModelLease, type ResolvedModel } from './model-host.ts';

interface Slot {
  capability: Capability;
  key: string;
  state: 'loading' | 'ready' | 'failed';
  model: Promise<unknown>;
  /** The model once loaded, for the fast path that skips awaiting `model`. */
  loaded: unknown;
  queue: ModelQueue;
  loadedAt: number | undefined;
  lastUsedAt: number;
  expiryTimer: NodeJS.Timeout | undefined;
}

export interface InProcessHostOptions {
  registry: ModelRegistry;
  queueLength: number;
  concurrencyPerModel: number;
  /** Unload a model this long after its last request (ms; negative: never). Default: never. */
  keepAliveMs?: number;
}

export class InProcessModelHost implements ModelHost {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly options: InProcessHostOptions) {}

  acquire<C extends Capability>(resolved: ResolvedModel<C>, signal?: AbortSignal): Promise<ModelLease<C>> {
    const slot = this.slots.get(resolved.key);
    // Loaded and a turn free: the lease at once, without the async steps of waiting.
    if (slot?.state === 'ready' && !signal?.aborted) {
      const turn = slot.queue.tryAcquire();
      if (turn) {
        const model = slot.loaded as CapabilityModels[C];
        return Promise.resolve({ model, id: resolved.id, release: this.releaser(slot, turn) });
      }
    }
    return this.acquireWaiting(resolved, signal);
  }

  private releaser(slot: Slot, turn: QueueSlot): () => void {
    return () => {
      slot.lastUsedAt = Date.now();
      turn.release();
      this.scheduleExpiry(slot);
    };
  }

  /** After the last running request, keep-alive starts over (with nothing waiting). */
  private scheduleExpiry(slot: Slot): void {
    const keepAlive = this.options.keepAliveMs ?? -1;
    const { running, waiting } = slot.queue.status();
    if (keepAlive < 0 || running > 0 || waiting > 0) return;
    clearTimeout(slot.expiryTimer);
    slot.expiryTimer = setTimeout(() => {
      slot.expiryTimer = undefined;
      if (this.slots.get(slot.key) === slot) void this.unload(slot.key).catch(() => undefined);
    }, keepAlive);
    // An idle server's models never keep the program alive.
    slot.expiryTimer.unref();
  }

  private async acquireWaiting<C extends Capability>(
    resolved: ResolvedModel<C>,
    signal?: AbortSignal,
  ): Promise<ModelLease<C>> {
    let slot = this.slots.get(resolved.key);
    if (!slot || slot.state === 'failed') slot = this.startLoading(resolved);
    const turn: QueueSlot = await slot.queue.acquire(signal);
    const release = this.releaser(slot, turn);
    try {
      const model = (await slot.model) as CapabilityModels[C];
      return { model, id: resolved.id, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  async status(): Promise<RunnerStatus[]> {
    const now = Date.now();
    return [...this.slots.values()]
      .filter((slot) => slot.state !== 'failed')
      .map((slot) => {
        const { running, waiting } = slot.queue.status();
        const state = slot.state === 'loading' ? 'loading' : running > 0 ? 'busy' : 'idle';
        return {
          key: slot.key,
          capability: slot.capability,
          // The model shares the server's process: its memory is not told apart, and it never expires.
          pid: process.pid,
          rssBytes: 0,
          state,
          running,
          queueLength: waiting,
          idleMs: state === 'idle' ? now - slot.lastUsedAt : 0,
          expiresInMs:
            state === 'idle' && slot.expiryTimer !== undefined
              ? Math.max(0, slot.lastUsedAt + (this.options.keepAliveMs ?? 0) - now)
              : null,
          loadedAt: slot.loadedAt === undefined ? null : new Date(slot.loadedAt).toISOString(),
        } satisfies RunnerStatus;
      })
      .sort((first, second) => first.key.localeCompare(second.key));
  }

  async unload(key: string): Promise<boolean> {
    const slot = this.slots.get(key);
    if (slot?.state !== 'ready') return false;
    if (slot.queue.status().running > 0) {
      throw new MmkitError(`model ${key} is answering a request; unload it when it is idle`, {
        code: 'model_busy',
        param: 'key',
        status: 409,
      });
    }
    this.slots.delete(key);
    clearTimeout(slot.expiryTimer);
    const model = (await slot.model) as { dispose?: () => Promise<void> | void };
    await Promise.resolve(model.dispose?.()).catch(() => undefined);
    return true;
  }

  async close(error: unknown): Promise<void> {
    for (const slot of this.slots.values()) {
      slot.queue.rejectWaiting(error);
      clearTimeout(slot.expiryTimer);
    }
    const models = await Promise.allSettled([...this.slots.values()].map((slot) => slot.model));
    this.slots.clear();
    for (const settled of models) {
      if (settled.status !== 'fulfilled') continue;
      const model = settled.value as { dispose?: () => Promise<void> | void };
      await Promise.resolve(model.dispose?.()).catch(() => undefined);
    }
  }

  private startLoading(resolved: ResolvedModel): Slot {
    const queue =
      this.slots.get(resolved.key)?.queue ??
      new ModelQueue(resolved.name ?? resolved.id, this.options.concurrencyPerModel, this.options.queueLength);
    const slot: Slot = {
      capability: resolved.capability,
      key: resolved.key,
      state: 'loading',
      queue,
      model: Promise.resolve(),
      loaded: undefined,
      loadedAt: undefined,
      lastUsedAt: Date.now(),
      expiryTimer: undefined,
    };
    slot.model = this.options.registry.load(resolved.capability, resolved.name).then(
      (model) => {
        slot.state = 'ready';
        slot.loaded = model;
        slot.loadedAt = Date.now();
        return model;
      },
      (error: unknown) => {
        slot.state = 'failed';
        throw describeLoadFailure(error, resolved);
      },
    );
    // A failed load is reported to the requests waiting on it; nobody else must see it unhandled.
    slot.model.catch(() => undefined);
    this.slots.set(resolved.key, slot);
    return slot;
  }
}
