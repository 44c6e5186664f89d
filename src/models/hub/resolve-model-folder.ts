/**
 * `resolveModelFolder`: turns what a user typed (`--model onnx-community/whisper-tiny` or
 * `--model ./my-model`) into a local folder in Hugging Face layout that Transformers.js loads with
 * `local_files_only`. A local folder is used as is; a repo id resolves to its cached snapshot,
 * pulled first when files are missing and the network is allowed.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { readManifest, repoPaths } from './cache-layout.ts';
import { type DtypeChoice, type FileSelectionOptions, isOptionalFile, selectModelFiles } from './file-selection.ts';
import { type PullProgress, pullModel } from './pull.ts';
import { checkRepoId, checkRevision, looksLikeRepoId } from './repo-id.ts';
import { type HubSettings, hubSettings } from './settings.ts';

export interface ResolveOptions extends FileSelectionOptions {
  revision?: string | undefined;
  settings?: Partial<HubSettings> | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PullProgress) => void) | undefined;
  /** Download missing files (default true; `MMKIT_OFFLINE=1` overrides it). */
  pull?: boolean | undefined;
}

const layoutMarkers = ['config.json', 'model_index.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx'];

export async function resolveModelFolder(idOrPath: string, options: ResolveOptions = {}): Promise<string> {
  const local = await localFolder(idOrPath);
  if (local) return local;
  const settings = hubSettings(options.settings);
  checkRepoId(idOrPath);
  const revision = checkRevision(options.revision ?? 'main');
  const missing = await missingFiles(idOrPath, revision, settings, options);
  if (missing.length === 0) return repoPaths(settings.home, idOrPath, revision).snapshot;
  if (settings.offline || options.pull === false) {
    const command = pullCommand(idOrPath, revision, options.dtype);
    const reason = settings.offline ? ' (MMKIT_OFFLINE=1 is set)' : '';
    const detail =
      missing[0] === '*'
        ? `${idOrPath} is not in the model cache${reason}`
        : `${idOrPath} is missing ${missing.length} file(s) in the model cache${reason}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`;
    throw new MmkitError(`${detail}; run \`${command}\` while online`, {
      code: 'model_not_cached',
      type: 'not_found_error',
      param: 'model',
    });
  }
  const result = await pullModel(idOrPath, { ...options, revision, settings });
  return result.folder;
}

/** A path that exists as a folder (or is written as a path), resolved; undefined for a repo id. */
async function localFolder(idOrPath: string): Promise<string | undefined> {
  const written = /^(\.{1,2}[/\\]|[/\\]|~[/\\]|[A-Za-z]:[/\\])/.test(idOrPath) || !looksLikeRepoId(idOrPath);
  const expanded = idOrPath.startsWith('~/') ? join(process.env.HOME ?? '', idOrPath.slice(2)) : idOrPath;
  const folder = resolve(expanded);
  const info = await stat(folder).catch(() => undefined);
  if (!info) {
    if (!written) return undefined;
    throw new MmkitError(`model folder ${folder} does not exist: give an existing folder or a Hub id like owner/name`, {
      code: 'model_folder_missing',
      type: 'not_found_error',
      param: 'model',
    });
  }
  if (!info.isDirectory()) {
    throw new MmkitError(`${folder} is a file: --model takes a folder in Hugging Face layout or a Hub id`, {
      code: 'model_folder_invalid',
      param: 'model',
    });
  }
  const markers = await Promise.all(
    layoutMarkers.map((name) =>
      stat(join(folder, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (markers.some(Boolean)) return folder;
  if (!written) return undefined; // An unrelated folder that happens to share a repo id's name.
  throw new MmkitError(`${folder} is not a model folder: it has none of ${layoutMarkers.join(', ')}`, {
    code: 'model_folder_invalid',
    param: 'model',
  });
}

/** Repo paths the selection needs that the cache lacks; `['*']` when nothing was ever pulled. */
async function missingFiles(
  id: string,
  revision: string,
  settings: HubSettings,
  options: FileSelectionOptions,
): Promise<string[]> {
  const paths = repoPaths(settings.home, id, revision);
  const manifest = await readManifest(paths.manifest);
  if (!manifest) return ['*'];
  const config = await readFile(join(paths.snapshot, 'config.json'), 'utf8')
    .then(JSON.parse)
    .catch(() => undefined);
  const selected = selectModelFiles(id, manifest.remoteFiles, options, config);
  const sizes = new Map(manifest.remoteFiles.map((file) => [file.path, file.size]));
  const missing: string[] = [];
  for (const path of selected) {
    if (isOptionalFile(path)) continue;
    const size = await stat(join(paths.snapshot, path)).then(
      (info) => info.size,
      () => -1,
    );
    if (!manifest.files.includes(path) || size !== sizes.get(path)) missing.push(path);
  }
  return missing;
}

export function pullCommand(id: string, revision: string, dtype: DtypeChoice | undefined): string {
  const dtypeText =
    dtype === undefined
      ? ''
      : typeof dtype === 'string'
        ? dtype
        : Object.entries(dtype)
            .map(([name, value]) => `${name}=${value}`)
            .join(',');
  return `mmkit models pull ${id}${dtypeText ? ` --dtype ${dtypeText}` : ''}${revision !== 'main' ? ` --revision ${revision}` : ''}`;
}
