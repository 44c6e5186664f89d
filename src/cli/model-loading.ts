/**
 * How commands get their models: the config file (`--config FILE`, else `$MMKIT_HOME/config.json`),
 * the default registry over it, a progress bar while a model is pulled on first use, and a way to
 * let go of in-process models when the command is done.
 */
import { loadConfig } from '../models/config.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import type { ModelRegistry } from '../models/registry.ts';
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

/** Frees models that hold native resources (ONNX sessions); others need nothing. */
export async function releaseModels(models: readonly unknown[]): Promise<void> {
  for (const model of models) {
    const disposable = model as { dispose?: () => Promise<void> | void } | undefined;
    if (typeof disposable?.dispose === 'function') await disposable.dispose();
  }
}
