/**
 * Where the `ModelService` keeps loaded models: in runner processes (`RunnerModelHost`, the
 * default) or in the server's own process (`InProcessModelHost`, for custom registries and tests
 * with in-memory fakes). The service resolves a request's name; a host loads, queues and unloads.
 */
import { describeError, isMmkitError, MmkitError } from '../../errors.ts';
import type { Capability } from '../../models/config.ts';
import type { CapabilityModels } from '../../models/registry.ts';
import type { RunnerStatus } from '../../models/runner/runner-spec.ts';

export interface ModelLease<C extends Capability> {
  model: CapabilityModels[C];
  /** The canonical id the name resolved to. */
  id: string;
  release(): void;
}

/** A request's model, as the service resolved it. */
export interface ResolvedModel<C extends Capability = Capability> {
  capability: C;
  /** One loaded model per key: chat and vision chat of the same id share it. */
  key: string;
  /** The canonical model id. */
  id: string;
  /** The name the client sent, when it is not the capability's default. */
  name: string | undefined;
}

export interface ModelHost {
  /** Waits for a turn on the model (loading it first when needed); `release()` ends the turn. */
  acquire<C extends Capability>(model: ResolvedModel<C>, signal?: AbortSignal): Promise<ModelLease<C>>;
  /** One row per loaded (or loading) model: what `GET /api/ps` and `mmkit models ps` show. */
  status(): Promise<RunnerStatus[]>;
  /** Unloads one model now (its key as `status()` shows it); false when it is not loaded. */
  unload(key: string): Promise<boolean>;
  /** Fails waiting requests and unloads every model once running ones are done. */
  close(error: unknown): Promise<void>;
}

/** Chat and vision chat share one loaded model: a VLM answers text-only requests too. */
export function family(capability: Capability): Capability {
  return capability === 'visionChat' ? 'chat' : capability;
}

/** A load error as the client sees it: ours stay as they are, a library's become one line. */
export function describeLoadFailure(error: unknown, model: ResolvedModel): unknown {
  if (isMmkitError(error)) return error;
  const named = model.name !== undefined;
  // A client naming a model that cannot do this job is a bad request; the default failing is ours.
  return new MmkitError(`model ${model.name ?? model.id} cannot serve ${model.capability}: ${describeError(error)}`, {
    code: named ? 'model_unusable' : 'model_load_failed',
    param: 'model',
    ...(named ? {} : { type: 'runtime_error' as const }),
    cause: error,
  });
}

export function imagesNotSupported(model: ResolvedModel): MmkitError {
  return new MmkitError(
    `${model.name ?? model.id} reads text only; questions about images need an image-text-to-text model (e.g. HuggingFaceTB/SmolVLM-256M-Instruct)`,
    { code: 'images_not_supported', param: 'model', type: 'unsupported_error' },
  );
}
