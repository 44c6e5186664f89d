/**
 * How a command gets its model: through the registry (config file, built-in defaults, providers),
 * so `--model` takes a Hub id, a local folder or a provider id (`espeak:cmn`, `openai:whisper-1@URL`).
 * `--dtype` applies to the model asked for, or to the capability's default; a first-use download
 * shows a progress bar (none with `--json`).
 */
import type { Capability } from '../models/config.ts';
import { loadConfig } from '../models/config.ts';
import { createDefaultRegistry } from '../models/default-registry.ts';
import type { PullProgress } from '../models/hub/pull.ts';
import type { CapabilityModels } from '../models/registry.ts';
import { type ProgressBar, progressBar } from './output.ts';

export interface CliModelOptions {
  model?: string;
  dtype?: string;
  json?: boolean;
}

const DTYPE_ENTRY = '--dtype';

export async function loadCliModel<C extends Capability>(
  capability: C,
  options: CliModelOptions,
): Promise<CapabilityModels[C]> {
  const { config } = await loadConfig();
  let bar: ProgressBar | undefined;
  const onPullProgress = (progress: PullProgress) => {
    if (progress.phase !== 'downloading' || progress.total <= 0) return;
    bar ??= progressBar(`pulling ${options.model ?? capability}`, progress.total, { json: options.json });
    bar.update(progress.bytes, progress.file);
  };
  let requested = options.model;
  let registry = createDefaultRegistry({ config, onPullProgress });
  if (options.dtype !== undefined) {
    // The entry the registry would use, with the dtype on top, under a name only this call uses.
    const entry = registry.resolve(capability, requested);
    const { baseURL: _baseURL, ...entryOptions } = entry.options;
    const withDtype = { ...entryOptions, id: entry.id, dtype: options.dtype };
    registry = createDefaultRegistry({
      config: { ...config, models: { ...config.models, [DTYPE_ENTRY]: withDtype } },
      onPullProgress,
    });
    requested = DTYPE_ENTRY;
  }
  try {
    return await registry.load(capability, requested);
  } finally {
    bar?.finish();
  }
}

/** Frees what a loaded model holds, for providers that hold something. */
export async function disposeModel(model: unknown): Promise<void> {
  await (model as { dispose?: () => Promise<void> }).dispose?.();
}
