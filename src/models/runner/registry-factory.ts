/**
 * The factory module runners use for real models: inside the runner, the default registry loads
 * what `--model` (or the config) names for the capability. `registryRunnerSpec` is the parent's
 * side: the spec that asks a runner for that model.
 */
import type { MmkitConfig } from '../config.ts';
import { createDefaultRegistry } from '../default-registry.ts';
import type { Capability, CapabilityModels } from './capabilities.ts';
import type { ModelFactoryContext } from './factory.ts';
import type { RunnerSpec } from './runner-spec.ts';

export interface RegistryModelOptions {
  /** A model id, folder or config entry name; the capability's default when absent. */
  model?: string;
  config?: MmkitConfig;
}

export async function createModel(
  options: RegistryModelOptions,
  context: ModelFactoryContext,
): Promise<CapabilityModels[Capability]> {
  const registry = createDefaultRegistry(options.config ? { config: options.config } : {});
  return registry.load(context.capability, options.model);
}

/** This module, as the compiled or the source file, whichever is running. */
const factoryModule = new URL(`./registry-factory${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)
  .href;

export function registryRunnerSpec<C extends Capability>(
  capability: C,
  options: RegistryModelOptions = {},
  runner: Omit<RunnerSpec, 'key' | 'capability' | 'factoryModule' | 'options'> = {},
): RunnerSpec & { capability: C } {
  return {
    ...runner,
    key: `${capability}:${options.model ?? 'default'}`,
    capability,
    factoryModule,
    options,
  };
}
