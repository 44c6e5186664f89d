/**
 * Models hosted in runner processes (`ModelRunnerPool`): each loaded model is a child process, so
 * keep-alive and eviction really return memory and a crash fails only that model's requests. The
 * pool queues each call (parallelism, bounded queue → `queue_full`, a 429); a lease is the model's
 * proxy and releasing it is a no-op. Runners load models through the default registry with the
 * server's config, unless `specFor` says otherwise (tests use fake factories).
 *
 * An embedding model whose calls cost less than the trip to its runner moves into the server's
 * thread: after its first load, a call on a batch of sentences (`PROBE_TEXTS`), timed in the runner
 * (the fastest of three: a busy server must not make a cheap model look slow), decides. Models that
 * do not time their calls stay.
 * Taking its batches there costs the server less than handing them over (each hand-over wakes
 * another process: tens of microseconds of the server's CPU, more than such a model's whole call),
 * and a call that short blocks the server's thread no longer than parsing a large request does.
 * Transformer embedders take milliseconds for such a batch and stay isolated; static and tiny ones
 * move. The runner ends once idle; the moved model keeps the keep-alive (`InProcessModelHost`).
 */
import type { Capability, MmkitConfig } from '../../models/config.ts';
import type { CapabilityModels } from '../../models/registry.ts';
import { ModelRunnerPool } from '../../models/runner/pool.ts';
import { registryRunnerSpec } from '../../models/runner/registry-factory.ts';
import {
  DEFAULT_POOL_OPTIONS,
  type RunnerPoolOptions,
  type RunnerSpec,
  type RunnerStatus,
} from '../../models/runner/runner-spec.ts';
import type { InProcessModelHost } from './in-process-host.ts';
import {
  describeLoadFailure,
  family,
  imagesNotSupported,
  type ModelHost,
  type ModelLease,
  type ResolvedModel,
} from './model-host.ts';
import { runnerEnvironment } from './runner-threads.ts';

/** The timed call: 16 sentences of 24 words, a full batch of everyday texts. */
const PROBE_TEXTS = Array.from(
  { length: 16 },
  (_, index) =>
    `sentence ${index}: the quick brown fox jumps over the lazy dog while a red car drives along the wet road at night`,
);
/** A probe this fast moves the model; a batch four times the probe still blocks under 10 ms. */
export const DEFAULT_CHEAP_CALL_MS = 2;
/** Heavier models stay in runners whatever their speed: only a runner returns their memory. */
const MAX_MOVED_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * The spec a runner loads for a request's model (`capability` is the family the runner hosts), or
 * undefined for the default: the registry with the server's config.
 */
export type RunnerSpecBuilder = (model: ResolvedModel, capability: Capability) => RunnerSpec | undefined;

export interface RunnerHostOptions {
  config?: MmkitConfig;
  pool: RunnerPoolOptions;
  specFor?: RunnerSpecBuilder;
  /** Where embedding models cheaper than the hop move (loading through the server's own registry). */
  inThread?: InProcessModelHost;
  /** The probe's limit in milliseconds (default `DEFAULT_CHEAP_CALL_MS`; 0 keeps every model in its runner). */
  cheapCallMs?: number;
}

export class RunnerModelHost implements ModelHost {
  readonly pool: ModelRunnerPool;
  /** Per embedding model key: the probe's verdict once made (true: it runs in the server's thread). */
  private readonly moved = new Map<string, Promise<boolean>>();

  constructor(private readonly options: RunnerHostOptions) {
    const maxLoadedModels = options.pool.maxLoadedModels ?? DEFAULT_POOL_OPTIONS.maxLoadedModels;
    this.pool = new ModelRunnerPool({
      ...options.pool,
      env: runnerEnvironment(maxLoadedModels, options.pool.env ?? process.env),
    });
  }

  async acquire<C extends Capability>(resolved: ResolvedModel<C>, signal?: AbortSignal): Promise<ModelLease<C>> {
    const capability = family(resolved.capability);
    const verdict = capability === 'embeddings' ? this.moved.get(resolved.key) : undefined;
    if (verdict && (await verdict) && this.options.inThread) return this.options.inThread.acquire(resolved, signal);
    const custom = this.options.specFor?.(resolved, capability);
    const spec = { ...(custom ?? this.registrySpec(resolved, capability)), key: resolved.key, capability };
    let model: CapabilityModels[Capability];
    try {
      model = await this.pool.acquire(spec);
    } catch (error) {
      throw describeLoadFailure(error, resolved);
    }
    if (resolved.capability === 'visionChat' && !(model as CapabilityModels['chat']).acceptsImages) {
      throw imagesNotSupported(resolved);
    }
    if (capability === 'embeddings' && !custom && !this.moved.has(resolved.key)) {
      // The first acquire decides, before any request runs on it; the others wait for the verdict.
      const verdict = this.moveIfCheap(resolved, model as CapabilityModels['embeddings']);
      this.moved.set(resolved.key, verdict);
      if (await verdict) return this.acquire(resolved, signal);
    }
    return { model: model as CapabilityModels[C], id: resolved.id, release: () => {} };
  }

  /**
   * Runs the probe batch in the runner; if the model's own timing says it is cheap, loads the model
   * in the server's thread and retires the runner. Any failure keeps the model where it is.
   */
  private async moveIfCheap(resolved: ResolvedModel, model: CapabilityModels['embeddings']): Promise<boolean> {
    const { inThread } = this.options;
    const limit = this.options.cheapCallMs ?? DEFAULT_CHEAP_CALL_MS;
    if (!inThread || limit <= 0 || (model.description.memoryBytes ?? 0) > MAX_MOVED_MODEL_BYTES) return false;
    try {
      await model.embedTexts(PROBE_TEXTS.slice(0, 1)); // a first call warms the model up
      let fastest = Number.POSITIVE_INFINITY;
      for (let probe = 0; probe < 3; probe++) {
        fastest = Math.min(fastest, (await model.embedTexts(PROBE_TEXTS)).timings?.totalMs ?? Number.POSITIVE_INFINITY);
      }
      if (fastest > limit) return false;
      (await inThread.acquire(resolved)).release();
    } catch {
      return false;
    }
    this.pool.retire(resolved.key, 'moved into the server: its calls cost less than the hop to a runner');
    return true;
  }

  private registrySpec(model: ResolvedModel, capability: Capability): RunnerSpec {
    const { config } = this.options;
    // The runner is given the id for a default (not nothing), so a vision default loads as a chat
    // model of its own; an id picks up the options its config entry gives it (dtype, device, threads).
    return registryRunnerSpec(capability, { model: model.name ?? model.id, ...(config ? { config } : {}) });
  }

  async status(): Promise<RunnerStatus[]> {
    const [inRunners, inThread] = await Promise.all([this.pool.status(), this.options.inThread?.status() ?? []]);
    return [...inRunners, ...inThread].sort((first, second) => first.key.localeCompare(second.key));
  }

  /** Ends the model's runner, so its memory really returns (requests still running on it fail). */
  async unload(key: string): Promise<boolean> {
    return (await this.options.inThread?.unload(key)) || this.pool.unload(key);
  }

  async close(error: unknown): Promise<void> {
    await Promise.all([this.pool.shutdown(), this.options.inThread?.close(error)]);
  }
}
