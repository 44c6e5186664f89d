/** Isolated model runners (processes or threads): `ModelRunnerPool` and the factory contract runners load. */
export { CAPABILITY_SHAPES, type CapabilityShape } from './capabilities.ts';
export type { ModelFactory, ModelFactoryContext } from './factory.ts';
export { ModelRunnerPool } from './pool.ts';
export type { FactorySpec } from './protocol.ts';
export type { RegistryModelOptions } from './registry-factory.ts';
export { createModel as createRegistryModel, registryRunnerSpec } from './registry-factory.ts';
export {
  DEFAULT_POOL_OPTIONS,
  type RunnerPoolOptions,
  type RunnerSpec,
  type RunnerState,
  type RunnerStatus,
} from './runner-spec.ts';
export type { RunnerIsolation } from './runner-transport.ts';
