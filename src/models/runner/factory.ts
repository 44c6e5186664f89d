/**
 * The contract a factory module fulfils so a runner can host its models: export `createModel`
 * (or a default export, or the name given as `factoryExport`) that builds a model implementing the
 * capability interface. It runs inside the runner process; `options` arrive structured-cloned.
 */
import type { Capability, CapabilityModels } from './capabilities.ts';

export interface ModelFactoryContext {
  key: string;
  capability: Capability;
}

export type ModelFactory<Options = unknown, C extends Capability = Capability> = (
  options: Options,
  context: ModelFactoryContext,
) => CapabilityModels[C] | Promise<CapabilityModels[C]>;
