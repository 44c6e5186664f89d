/**
 * A model folder with an adapter applied, for loaders that read Hugging Face layout (Transformers.js):
 * `$MMKIT_HOME/adapted/<hash>/` mirrors the model folder with symbolic links, except the decoder
 * graphs, which are patched copies (`apply-adapter.ts`). The hash covers the model files' identity
 * (path, size, modification time) and the adapter's bytes, so the patched folder is built once and
 * reused; it is built in a temporary sibling and renamed into place, so it is whole or absent.
 */
import { createHash } from 'node:crypto';
import {
  constants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { mmkitHome } from '../config.ts';
import { type AdapterApplication, type AdapterMode, applyAdapter } from './apply-adapter.ts';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readPeftAdapter } from './peft-adapter.ts';

/** Bumped when the patching changes, so old cache entries are not reused. */
const FORMAT_VERSION = 1;
const MANIFEST_FILE = 'mmkit-adapter.json';

/** Session files that hold the language model's decoder (other sessions: vision encoder, embeddings). */
export const DECODER_FILE = /^(model|decoder_model_merged|decoder_model|decoder_with_past_model)(_[a-z0-9]+)?\.onnx$/;

export interface AdaptedFolderOptions {
  /** The decoder graphs to patch, relative to the model folder (`onnx/model_q4.onnx`). */
  files: readonly string[];
  mode?: AdapterMode;
  /** Default `$MMKIT_HOME/adapted`. */
  cacheRoot?: string;
  onWarning?: (message: string) => void;
}

export interface AdaptedFolder {
  path: string;
  /** True when an earlier build was reused. */
  reused: boolean;
  /** What was patched in each file. */
  files: Record<string, Omit<AdapterApplication, 'mergedDataFile'>>;
}

function fileIdentity(path: string): string {
  const info = statSync(path);
  return `${realpathSync(path)}\u0000${info.size}\u0000${info.mtimeMs}`;
}

/** The cache key: mmkit's patch format, the mode, every file the patch reads, the adapter's content. */
function cacheKey(modelFolder: string, adapterFolder: string, files: readonly string[], mode: AdapterMode): string {
  const hash = createHash('sha256').update(`mmkit-adapted-${FORMAT_VERSION}\u0000${mode}\u0000`);
  for (const file of [...files].sort()) {
    const path = join(modelFolder, file);
    hash.update(`${file}\u0000${fileIdentity(path)}\u0000`);
    const name = file.split('/').pop() as string;
    const folder = join(modelFolder, file.slice(0, -name.length));
    for (const sibling of readdirSync(folder)
      .filter((entry) => entry.startsWith(`${name}_data`))
      .sort()) {
      hash.update(`${sibling}\u0000${fileIdentity(join(folder, sibling))}\u0000`);
    }
  }
  for (const name of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) {
    hash.update(name).update(readFileSync(join(adapterFolder, name)));
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Links a weight file. ONNX Runtime refuses external data that resolves outside the graph's own
 * folder, so a symbolic link will not do: a hard link, else (another file system) a copy.
 */
function linkWeights(source: string, target: string, onWarning: ((message: string) => void) | undefined): void {
  const original = realpathSync(source);
  try {
    linkSync(original, target);
  } catch {
    copyFileSync(original, target, constants.COPYFILE_FICLONE);
    onWarning?.(
      `copied ${original} into the adapter cache (${statSync(original).size} bytes): it is on another file system`,
    );
  }
}

const WEIGHT_DATA = /\.onnx_data(_\d+)?$|\.onnx\.source$/;

/** Mirrors `source` into `target` with links, patching the listed files. */
function buildMirror(
  source: string,
  target: string,
  relative: string,
  patch: (name: string, sourcePath: string, targetPath: string) => void,
  patched: ReadonlySet<string>,
  onWarning: ((message: string) => void) | undefined,
): void {
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(source, { withFileTypes: true })) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const sourcePath = join(source, entry.name);
    const targetPath = join(target, entry.name);
    if (entry.isDirectory() && [...patched].some((file) => file.startsWith(`${path}/`))) {
      buildMirror(sourcePath, targetPath, path, patch, patched, onWarning);
    } else if (patched.has(path)) {
      patch(entry.name, sourcePath, targetPath);
    } else if (existsSync(targetPath)) {
      // A patched graph linked its data file already.
    } else if (WEIGHT_DATA.test(entry.name)) {
      linkWeights(sourcePath, targetPath, onWarning);
    } else {
      symlinkSync(realpathSync(sourcePath), targetPath);
    }
  }
}

export function adaptedModelFolder(
  modelFolder: string,
  adapterFolder: string,
  options: AdaptedFolderOptions,
): AdaptedFolder {
  const folder = resolve(modelFolder);
  const adapterPath = resolve(adapterFolder);
  const adapter = readPeftAdapter(adapterPath);
  const mode = options.mode ?? 'auto';
  if (options.files.length === 0) {
    throw new MmkitError(`${folder}: no decoder graph to apply the adapter to`, {
      code: 'adapter_mismatch',
      param: 'adapter',
    });
  }
  const root = options.cacheRoot ?? join(mmkitHome(), 'adapted');
  const target = join(root, cacheKey(folder, adapterPath, options.files, mode));
  const manifestPath = join(target, MANIFEST_FILE);
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: AdaptedFolder['files'] };
    for (const [file, application] of Object.entries(manifest.files)) {
      if (application.skippedModules.length > 0) {
        options.onWarning?.(`adapter modules not in ${file}, skipped: ${application.skippedModules.join(', ')}`);
      }
    }
    return { path: target, reused: true, files: manifest.files };
  }
  const temporary = join(
    root,
    `.${target.split(/[\\/]/).pop()}.partial-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
  );
  const files: AdaptedFolder['files'] = {};
  try {
    buildMirror(
      folder,
      temporary,
      '',
      (name, sourcePath, targetPath) => {
        const inlineWeightsLocation = `${name}.source`;
        const { mergedDataFile: _written, ...application } = applyAdapter(sourcePath, adapter, targetPath, {
          mode,
          inlineWeightsLocation,
          ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        });
        // Weights the patched graph still reads from the original: its inline weights, its data files.
        for (const location of application.referencedFiles) {
          const linked = join(targetPath, '..', location);
          if (existsSync(linked)) continue;
          const original = location === inlineWeightsLocation ? sourcePath : join(sourcePath, '..', location);
          linkWeights(original, linked, options.onWarning);
        }
        files[relativeTo(folder, sourcePath)] = application;
      },
      new Set(options.files),
      options.onWarning,
    );
    writeFileSync(
      join(temporary, MANIFEST_FILE),
      `${JSON.stringify({ model: folder, adapter: adapterPath, mode, files }, null, 2)}\n`,
    );
    try {
      renameSync(temporary, target);
    } catch (error) {
      // Another process finished the same build first: use it.
      if (!existsSync(manifestPath)) throw error;
      rmSync(temporary, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    if (error instanceof MmkitError) throw error;
    throw new MmkitError(`cannot apply adapter ${adapterPath} to ${folder} (${describeError(error)})`, {
      code: 'adapter_apply_failed',
      param: 'adapter',
      type: 'runtime_error',
      cause: error,
    });
  }
  return { path: target, reused: false, files };
}

function relativeTo(folder: string, path: string): string {
  return path
    .slice(folder.length + 1)
    .split(/[\\/]/)
    .join('/');
}

/**
 * Removes the adapted copies built from models under `modelRoot` (a removed model's folder): their
 * hard-linked weights would otherwise keep the removed model's disk space in use.
 */
export function removeAdaptedCopies(modelRoot: string, cacheRoot = join(mmkitHome(), 'adapted')): number {
  const removedRoot = resolve(modelRoot);
  let removed = 0;
  for (const entry of existsSync(cacheRoot) ? readdirSync(cacheRoot) : []) {
    const folder = join(cacheRoot, entry);
    let model: unknown;
    try {
      model = (JSON.parse(readFileSync(join(folder, MANIFEST_FILE), 'utf8')) as { model?: unknown }).model;
    } catch {
      continue; // a build in progress or not ours: leave it
    }
    if (typeof model !== 'string') continue;
    const source = resolve(model);
    if (source === removedRoot || source.startsWith(`${removedRoot}/`)) {
      rmSync(folder, { recursive: true, force: true });
      removed += 1;
    }
  }
  return removed;
}
