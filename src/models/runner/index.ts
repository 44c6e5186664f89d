/** Process-isolated model runners: `ModelRunnerPool` and the factory contract runners load. */
export { CAPABILITIES, type Capability, type CapabilityModels, capabilityNames } from './capabilities.ts';
export type { ModelFactory, ModelFactoryContext } from './factory.ts';
export { ModelRunnerPool } from './pool.ts';
export type { FactorySpec } from './protocol.ts';
export {
  DEFAULT_POOL_OPTIONS,
  type RunnerPoolOptions,
  type RunnerSpec,
  type RunnerState,
  type RunnerStatus,
} from './runner-spec.ts';
