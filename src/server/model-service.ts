/**
 * The one place routes get models from. A request names a model (or none, for the capability's
 * default); the service checks the name is one this server serves (configured, default, cached or
 * listed at start; never an arbitrary path or Hub id from a client), loads it once, and hands it
 * out through a bounded per-model queue. Backed by the registry in-process today; the runner pool
 * (`src/models/runner/`) replaces `loadModel`/the queue behind the same `acquire`/`list`/`status`.
 */
import { describeError, isMmkitError, MmkitError } from '../errors.ts';
import type { Capability, MmkitConfig, ModelEntryInput } from '../models/config.ts';
import { DEFAULT_MODELS } from '../models/default-models.ts';
import { parseModelId } from '../models/model-id.ts';
import type { CapabilityModels, ModelRegistry } from '../models/registry.ts';
import { notFound, shuttingDown } from './http-errors.ts';
import { ModelQueue, type QueueSlot } from './model-queue.ts';

export interface ModelLease<C extends Capability> {
  model: CapabilityModels[C];
  /** The canonical id the name resolved to. */
  id: string;
  release(): void;
}

export interface ServedModel {
  /** The name clients send as `model`. */
  name: string;
  /** Capabilities it is configured as the default for. */
  defaultFor: Capability[];
  source: 'config' | 'default' | 'cache' | 'server';
}

export interface LoadedModelStatus {
  id: string;
  capability: Capability;
  state: 'loading' | 'ready' | 'failed';
  running: number;
  waiting: number;
  /** When it finished loading, and when its last request ended (epoch ms). */
  loadedAt: number | null;
  lastUsedAt: number | null;
}

export interface ModelServiceOptions {
  registry: ModelRegistry;
  config?: MmkitConfig;
  queueLength: number;
  concurrencyPerModel: number;
  /** Names allowed beyond the configured and default ones. */
  extraNames?: string[];
  /** Repo ids in the local model cache (`mmkit models list`). */
  listCachedIds?: () => Promise<string[]>;
}

interface Slot {
  capability: Capability;
  id: string;
  state: LoadedModelStatus['state'];
  model: Promise<unknown>;
  queue: ModelQueue;
  loadedAt: number | null;
  lastUsedAt: number | null;
}

/** Chat and vision chat share one loaded model: a VLM answers text-only requests too. */
function family(capability: Capability): string {
  return capability === 'visionChat' ? 'chat' : capability;
}

function entryId(input: ModelEntryInput | undefined): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : input.id;
}

function canonical(name: string): string | undefined {
  try {
    return parseModelId(name).id;
  } catch {
    return undefined;
  }
}

const CACHE_LISTING_TTL_MS = 5_000;

export class ModelService {
  private readonly slots = new Map<string, Slot>();
  private readonly resolved = new Map<string, { key: string; id: string; name: string | undefined }>();
  private closed = false;
  private cachedIds: { at: number; ids: string[] } | undefined;

  constructor(private readonly options: ModelServiceOptions) {}

  /** Every name a client may send, for `GET /v1/models`. */
  async list(): Promise<ServedModel[]> {
    const served = new Map<string, ServedModel>();
    const add = (name: string, source: ServedModel['source'], defaultFor?: Capability) => {
      const existing = served.get(name) ?? { name, defaultFor: [], source };
      if (defaultFor && !existing.defaultFor.includes(defaultFor)) existing.defaultFor.push(defaultFor);
      served.set(name, existing);
    };
    const config = this.options.config ?? {};
    for (const name of Object.keys(config.models ?? {})) add(name, 'config');
    for (const [capability, input] of Object.entries(DEFAULT_MODELS) as [Capability, ModelEntryInput][]) {
      const configured = entryId(config.defaults?.[capability]);
      add(configured ?? (entryId(input) as string), configured ? 'config' : 'default', capability);
    }
    for (const name of this.options.extraNames ?? []) add(name, 'server');
    for (const id of await this.cachedModelIds(false)) if (!served.has(id)) add(id, 'cache');
    return [...served.values()];
  }

  status(): LoadedModelStatus[] {
    return [...this.slots.values()].map((slot) => ({
      id: slot.id,
      capability: slot.capability,
      state: slot.state,
      ...slot.queue.status(),
      loadedAt: slot.loadedAt,
      lastUsedAt: slot.lastUsedAt,
    }));
  }

  /**
   * Waits for a turn on the model, loading it on first use. The caller must `release()` the lease
   * when its work (a whole stream included) is done.
   */
  async acquire<C extends Capability>(
    capability: C,
    requested: string | undefined,
    signal?: AbortSignal,
  ): Promise<ModelLease<C>> {
    if (this.closed) throw shuttingDown();
    const { key, id, name } = await this.resolveName(capability, requested);
    let slot = this.slots.get(key);
    if (!slot || slot.state === 'failed') {
      slot = this.startLoading(key, capability, id, name);
    }
    const queueSlot: QueueSlot = await slot.queue.acquire(signal);
    try {
      const model = (await slot.model) as CapabilityModels[C];
      const used = slot;
      return {
        model,
        id,
        release: () => {
          used.lastUsedAt = Date.now();
          queueSlot.release();
        },
      };
    } catch (error) {
      queueSlot.release();
      throw error;
    }
  }

  /**
   * Which loaded model a request's name means. The registry and the config do not change while the
   * server runs, so answers are remembered (refusals are not: the model cache may gain a model).
   */
  private async resolveName(
    capability: Capability,
    requested: string | undefined,
  ): Promise<{ key: string; id: string; name: string | undefined }> {
    const memoKey = `${capability}\u0000${requested ?? ''}`;
    const known = this.resolved.get(memoKey);
    if (known) return known;
    let name = requested === undefined || requested === '' ? undefined : requested;
    if (name !== undefined && !(await this.isServed(name))) {
      throw notFound(
        `the model '${name}' does not exist on this server; GET /v1/models lists the models it serves`,
        'model_not_found',
        'model',
      );
    }
    // The default's own id resolves as the default, so it keeps the default entry's options (dtype…).
    if (name !== undefined && canonical(name) === this.options.registry.resolve(capability).id) name = undefined;
    const entry = this.options.registry.resolve(capability, name);
    const resolved = { key: `${family(capability)}:${entry.id}`, id: entry.id, name };
    if (this.resolved.size < 1_000) this.resolved.set(memoKey, resolved);
    return resolved;
  }

  /** Refuses new and waiting requests, then unloads every model once the running ones are done. */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots.values()) slot.queue.rejectWaiting(shuttingDown());
    const models = await Promise.allSettled([...this.slots.values()].map((slot) => slot.model));
    this.slots.clear();
    for (const settled of models) {
      if (settled.status !== 'fulfilled') continue;
      const model = settled.value as { dispose?: () => Promise<void> | void };
      await Promise.resolve(model.dispose?.()).catch(() => undefined);
    }
  }

  private startLoading(key: string, capability: Capability, id: string, name: string | undefined): Slot {
    const queue =
      this.slots.get(key)?.queue ??
      new ModelQueue(name ?? id, this.options.concurrencyPerModel, this.options.queueLength);
    const slot: Slot = {
      capability,
      id,
      state: 'loading',
      queue,
      model: Promise.resolve(),
      loadedAt: null,
      lastUsedAt: null,
    };
    slot.model = this.options.registry.load(capability, name).then(
      (model) => {
        slot.state = 'ready';
        slot.loadedAt = Date.now();
        return model;
      },
      (error: unknown) => {
        slot.state = 'failed';
        throw this.describeLoadFailure(error, capability, name ?? id, name !== undefined);
      },
    );
    // A failed load is reported to the requests waiting on it; nobody else must see it unhandled.
    slot.model.catch(() => undefined);
    this.slots.set(key, slot);
    return slot;
  }

  private describeLoadFailure(error: unknown, capability: Capability, name: string, named: boolean): unknown {
    if (isMmkitError(error)) return error;
    // A client naming a model that cannot do this job is a bad request; the default failing is ours.
    return new MmkitError(`model ${name} cannot serve ${capability}: ${describeError(error)}`, {
      code: named ? 'model_unusable' : 'model_load_failed',
      param: 'model',
      ...(named ? {} : { type: 'runtime_error' as const }),
      cause: error,
    });
  }

  private async isServed(name: string): Promise<boolean> {
    const wanted = canonical(name);
    if (wanted === undefined) return false;
    const config = this.options.config ?? {};
    if (Object.hasOwn(config.models ?? {}, name)) return true;
    const allowed = [
      ...Object.values(config.defaults ?? {}).map(entryId),
      ...Object.values(DEFAULT_MODELS).map(entryId),
      ...Object.values(config.models ?? {}).map(entryId),
      ...(this.options.extraNames ?? []),
    ].filter((id): id is string => id !== undefined);
    if (allowed.some((id) => id === name || canonical(id) === wanted)) return true;
    const cached = await this.cachedModelIds(true);
    return cached.some((id) => id === name || canonical(id) === wanted);
  }

  private async cachedModelIds(fresh: boolean): Promise<string[]> {
    const list = this.options.listCachedIds;
    if (!list) return [];
    const now = Date.now();
    if (!this.cachedIds || (fresh && now - this.cachedIds.at > CACHE_LISTING_TTL_MS)) {
      this.cachedIds = { at: now, ids: await list().catch(() => []) };
    }
    return this.cachedIds.ids;
  }
}
