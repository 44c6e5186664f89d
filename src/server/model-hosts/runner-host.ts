/**
 * Models hosted in runner processes (`ModelRunnerPool`): each loaded model is a child process, so
 * keep-alive and eviction really return memory and a crash fails only that model's requests. The
 * pool queues each call (parallelism, bounded queue → `queue_full`, a 429); a lease is the model's
 * proxy and releasing it is a no-op. Runners load models through the default registry with the
 * server's config, unless `specFor` says otherwise (tests use fake factories).
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
import {
  describeLoadFailure,
  family,
  imagesNotSupported,
  type ModelHost,
  type ModelLease,
  type ResolvedModel,
} from './model-host.ts';
import { runnerEnvironment } from './runner-threads.ts';

/**
 * The spec a runner loads for a request's model (`capability` is the family the runner hosts), or
 * undefined for the default: the registry with the server's config.
 */
export type RunnerSpecBuilder = (model: ResolvedModel, capability: Capability) => RunnerSpec | undefined;

export interface RunnerHostOptions {
  config?: MmkitConfig;
  pool: RunnerPoolOptions;
  specFor?: RunnerSpecBuilder;
}

export class RunnerModelHost implements ModelHost {
  readonly pool: ModelRunnerPool;

  constructor(private readonly options: RunnerHostOptions) {
    const maxLoadedModels = options.pool.maxLoadedModels ?? DEFAULT_POOL_OPTIONS.maxLoadedModels;
    this.pool = new ModelRunnerPool({
      ...options.pool,
      env: runnerEnvironment(maxLoadedModels, options.pool.env ?? process.env),
    });
  }

  async acquire<C extends Capability>(resolved: ResolvedModel<C>): Promise<ModelLease<C>> {
    const capability = family(resolved.capability);
    const spec = { ...this.specFor(resolved, capability), key: resolved.key, capability };
    let model: CapabilityModels[Capability];
    try {
      model = await this.pool.acquire(spec);
    } catch (error) {
      throw describeLoadFailure(error, resolved);
    }
    if (resolved.capability === 'visionChat' && !(model as CapabilityModels['chat']).acceptsImages) {
      throw imagesNotSupported(resolved);
    }
    return { model: model as CapabilityModels[C], id: resolved.id, release: () => {} };
  }

  private specFor(model: ResolvedModel, capability: Capability): RunnerSpec {
    const custom = this.options.specFor?.(model, capability);
    if (custom) return custom;
    const { config } = this.options;
    // The runner is given the id for a default (not nothing), so a vision default loads as a chat
    // model of its own; an id picks up the options its config entry gives it (dtype, device, threads).
    return registryRunnerSpec(capability, { model: model.name ?? model.id, ...(config ? { config } : {}) });
  }

  status(): Promise<RunnerStatus[]> {
    return this.pool.status();
  }

  /** Ends the model's runner, so its memory really returns (requests still running on it fail). */
  unload(key: string): Promise<boolean> {
    return this.pool.unload(key);
  }

  close(): Promise<void> {
    return this.pool.shutdown();
  }
}
