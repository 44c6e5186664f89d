/**
 * How commands get their models: the config file (`--config FILE`, else `$MMKIT_HOME/config.json`),
 * the default registry over it (so `--model` takes a Hub id, a local folder, a provider id such as
 * `espeak:cmn` or `openai:whisper-1@URL`, or a config name), a progress bar while a model is pulled
 * on first use (none with `--json`), and a way to let go of in-process models when done.
 */
import { resolve } from 'node:path';
import { readPeftAdapter } from '../models/adapters/peft-adapter.ts';
import type { Capability, MmkitConfig } from '../models/config.ts';
import { loadConfig } from '../models/config.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import type { CapabilityModels, ModelRegistry } from '../models/registry.ts';
import { type ProgressBar, progressBar } from './output.ts';

export interface RegistryOptions {
  config?: string;
  json?: boolean;
}

export async function openRegistry(options: RegistryOptions): Promise<ModelRegistry> {
  const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
  return registryOver(config, options);
}

function registryOver(config: MmkitConfig, options: RegistryOptions): ModelRegistry {
  let bar: ProgressBar | undefined;
  let file: string | undefined;
  return createDefaultRegistry({
    config,
    onPullProgress: (progress) => {
      if (progress.phase === 'done') {
        bar?.finish();
        bar = undefined;
        return;
      }
      if (progress.phase !== 'downloading' || progress.total <= 0) return;
      bar ??= progressBar('pulling model', progress.total, { json: options.json });
      file = progress.file ?? file;
      bar.update(progress.bytes, file);
    },
  });
}

export interface CliModelOptions extends RegistryOptions {
  model?: string;
  /** Applies to the model asked for, or to the capability's default. */
  dtype?: string;
  /** Entry options from command flags (e.g. `scheduler`), on top of the config's. */
  entryOptions?: Readonly<Record<string, unknown>>;
}

/** The config entry name that carries command-line options for one call. */
const COMMAND_LINE_ENTRY = '--command-line';

export async function loadCliModel<C extends Capability>(
  capability: C,
  options: CliModelOptions,
): Promise<CapabilityModels[C]> {
  const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
  let registry = registryOver(config, options);
  let requested = options.model;
  const flags = {
    ...Object.fromEntries(Object.entries(options.entryOptions ?? {}).filter(([, value]) => value !== undefined)),
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
  };
  if (Object.keys(flags).length > 0) {
    // The entry the registry would use, with the flags on top, under a name only this call uses.
    const entry = registry.resolve(capability, requested);
    const { baseURL: _baseURL, ...entryOptions } = entry.options;
    const withFlags = { ...entryOptions, id: entry.id, ...flags };
    registry = registryOver({ ...config, models: { ...config.models, [COMMAND_LINE_ENTRY]: withFlags } }, options);
    requested = COMMAND_LINE_ENTRY;
  }
  return registry.load(capability, requested);
}

/**
 * `--adapter DIR`: checked before any model loads (a bad folder fails fast), then passed to the
 * provider as the entry option `adapter`.
 */
export function adapterEntryOptions(directory: string | undefined): Record<string, unknown> {
  if (directory === undefined) return {};
  const path = resolve(directory);
  readPeftAdapter(path);
  return { adapter: path };
}

/** Frees models that hold native resources (ONNX sessions); others need nothing. */
export async function releaseModels(models: readonly unknown[]): Promise<void> {
  for (const model of models) {
    const disposable = model as { dispose?: () => Promise<void> | void } | undefined;
    if (typeof disposable?.dispose === 'function') await disposable.dispose();
  }
}
