/**
 * The one place routes get models from. A request names a model (or none, for the capability's
 * default); the service checks the name is one this server serves (configured, default, cached or
 * listed at start; never an arbitrary path or Hub id from a client) and hands out a lease on it from
 * its host: runner processes by default (`model-hosts/runner-host.ts`), or the server's own process.
 */
import { MmkitError } from '../errors.ts';
import type { Capability, MmkitConfig, ModelEntryInput } from '../models/config.ts';
import { DEFAULT_MODELS } from '../models/default-models.ts';
import { parseModelId } from '../models/model-id.ts';
import type { ModelRegistry } from '../models/registry.ts';
import type { RunnerStatus } from '../models/runner/runner-spec.ts';
import { notFound, shuttingDown } from './http-errors.ts';
import { family, type ModelHost, type ModelLease, type ResolvedModel } from './model-hosts/model-host.ts';

export type { ModelLease };

export interface ServedModel {
  /** The name clients send as `model`. */
  name: string;
  /** Capabilities it is configured as the default for. */
  defaultFor: Capability[];
  source: 'config' | 'default' | 'cache' | 'server' | 'adapter';
  /** For a LoRA adapter (config `adapters`): the base model it applies to. */
  base?: string;
}

/** One loaded model: a runner's row (`mmkit models ps`), or the in-process equivalent. */
export type LoadedModelStatus = RunnerStatus;

export interface ModelServiceOptions {
  registry: ModelRegistry;
  /** Loads, queues and unloads the models (runners or in-process). */
  host: ModelHost;
  config?: MmkitConfig;
  /** Names allowed beyond the configured and default ones. */
  extraNames?: string[];
  /** Repo ids in the local model cache (`mmkit models list`). */
  listCachedIds?: () => Promise<string[]>;
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

function memoKeyOf(capability: Capability, requested: string | undefined): string {
  return `${capability}\u0000${requested ?? ''}`;
}

export class ModelService {
  private readonly resolved = new Map<string, ResolvedModel>();
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
    for (const [name, adapter] of Object.entries(config.adapters ?? {})) {
      if (served.has(name)) continue;
      add(name, 'adapter');
      (served.get(name) as ServedModel).base = adapter.base;
    }
    for (const [capability, input] of Object.entries(DEFAULT_MODELS) as [Capability, ModelEntryInput][]) {
      const configured = entryId(config.defaults?.[capability]);
      add(configured ?? (entryId(input) as string), configured ? 'config' : 'default', capability);
    }
    for (const name of this.options.extraNames ?? []) add(name, 'server');
    for (const id of await this.cachedModelIds(false)) if (!served.has(id)) add(id, 'cache');
    return [...served.values()];
  }

  /** What is loaded now: `GET /api/ps`, `mmkit models ps`. */
  status(): Promise<LoadedModelStatus[]> {
    return this.options.host.status();
  }

  /** Unloads a loaded model by its `status()` key; a key that is not loaded is a 404. */
  async unload(key: string): Promise<void> {
    if (!(await this.options.host.unload(key))) {
      throw new MmkitError(`no loaded model has the key "${key}"; GET /api/ps lists them`, {
        code: 'model_not_loaded',
        param: 'key',
        type: 'not_found_error',
      });
    }
  }

  /**
   * Waits for a turn on the model, loading it on first use. The caller must `release()` the lease
   * when its work (a whole stream included) is done.
   */
  acquire<C extends Capability>(
    capability: C,
    requested: string | undefined,
    signal?: AbortSignal,
  ): Promise<ModelLease<C>> {
    if (this.closed) return Promise.reject(shuttingDown());
    // A name seen before goes straight to the host: no extra async step per request.
    const known = this.resolved.get(memoKeyOf(capability, requested)) as ResolvedModel<C> | undefined;
    if (known) return this.options.host.acquire(known, signal);
    return this.resolveName(capability, requested).then((resolved) =>
      this.options.host.acquire(resolved as ResolvedModel<C>, signal),
    );
  }

  /**
   * Which loaded model a request's name means. The registry and the config do not change while the
   * server runs, so answers are remembered (refusals are not: the model cache may gain a model).
   */
  private async resolveName(capability: Capability, requested: string | undefined): Promise<ResolvedModel> {
    const memoKey = memoKeyOf(capability, requested);
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
    const fallback = this.options.registry.resolve(capability);
    if (name !== undefined && !fallback.adapter && canonical(name) === fallback.id) name = undefined;
    const entry = this.options.registry.resolve(capability, name);
    // An adapter is its own loaded model: the base with the adapter applied.
    const adapter = entry.adapter ? `+adapter:${entry.adapter.name}` : '';
    const resolved: ResolvedModel = {
      capability,
      key: `${family(capability)}:${entry.id}${adapter}`,
      id: entry.id,
      name,
    };
    if (this.resolved.size < 1_000) this.resolved.set(memoKey, resolved);
    return resolved;
  }

  /** Refuses new and waiting requests, then unloads every model once the running ones are done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.host.close(shuttingDown());
  }

  private async isServed(name: string): Promise<boolean> {
    const wanted = canonical(name);
    if (wanted === undefined) return false;
    const config = this.options.config ?? {};
    if (Object.hasOwn(config.models ?? {}, name) || Object.hasOwn(config.adapters ?? {}, name)) return true;
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
