/**
 * How commands get their models: the config file (`--config FILE`, else `$MMKIT_HOME/config.json`),
 * the default registry over it (so `--model` takes a Hub id, a local folder, a provider id such as
 * `espeak:cmn` or `openai:whisper-1@URL`, or a config name), a progress bar while a model is pulled
 * on first use (none with `--json`), and a way to let go of in-process models when done.
 */
import { resolve } from 'node:path';
import { readPeftAdapter } from '../models/adapters/peft-adapter.ts';
import { type Capability, loadConfig } from '../models/config.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import type { CapabilityModels, LoadOptions, ModelRegistry } from '../models/registry.ts';
import { type ProgressBar, progressBar } from './output.ts';

export interface RegistryOptions {
  config?: string;
  json?: boolean;
}

export async function openRegistry(options: RegistryOptions): Promise<ModelRegistry> {
  const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
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
}

/** The model `--model` (or the config) names, with this command's flags (`load`) on top of its config entry. */
export async function loadCliModel<C extends Capability>(
  capability: C,
  options: CliModelOptions,
  load: LoadOptions = {},
): Promise<CapabilityModels[C]> {
  const registry = await openRegistry(options);
  return registry.load(capability, options.model, { options: load });
}

/** `--adapter DIR`: checked before any model loads (a bad folder fails fast); its absolute path. */
export function adapterFolder(directory: string | undefined): string | undefined {
  if (directory === undefined) return undefined;
  const path = resolve(directory);
  readPeftAdapter(path);
  return path;
}

/** Frees models that hold native resources (ONNX sessions); others need nothing. */
export async function releaseModels(models: readonly unknown[]): Promise<void> {
  for (const model of models) {
    const disposable = model as { dispose?: () => Promise<void> | void } | undefined;
    if (typeof disposable?.dispose === 'function') await disposable.dispose();
  }
}
