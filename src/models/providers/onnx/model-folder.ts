/**
 * A local model folder in Hugging Face layout, checked before Transformers.js sees it, so every
 * problem becomes one line that says what to do: the folder is missing, it is not a model, it has
 * no ONNX weights, or it has none for the requested dtype (listing the dtypes it does have).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelRegistry } from '@huggingface/transformers';
import { describeError, MmkitError } from '../../../errors.ts';
import { DTYPE_SUFFIXES } from '../../dtypes.ts';

export type JsonObject = Record<string, unknown>;

export { DTYPE_SUFFIXES };

/** One dtype for every session, or one per session base name (`{decoder_model_merged: 'q4', …}`). */
export type DtypeSetting = string | Readonly<Record<string, string>>;

export interface ModelFolder {
  /** Absolute path. */
  path: string;
  config: JsonObject;
  modelType: string;
  architectures: string[];
  /** File names in `onnx/`. */
  onnxFiles: string[];
}

export interface WeightSelection {
  /** The dtype every listed file was picked for (per-file dtypes in config collapse to `mixed`). */
  dtype: string;
  /** Paths relative to the folder, `.onnx` files and their external data. */
  files: string[];
  bytes: number;
}

async function readJsonFile(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MmkitError(`${path}: cannot read (${describeError(error)})`, { code: 'model_unreadable', param: path });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as JsonObject;
  } catch (error) {
    throw new MmkitError(`${path}: not valid JSON (${describeError(error)})`, {
      code: 'model_unreadable',
      param: path,
    });
  }
}

export async function readOptionalJsonFile(path: string): Promise<JsonObject | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? readJsonFile(path) : undefined;
}

export async function readModelFolder(path: string): Promise<ModelFolder> {
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new MmkitError(
      `model folder ${path} does not exist; give a folder in Hugging Face layout or pull the model first (mmkit models pull ID)`,
      { code: 'model_not_found', param: 'model', type: 'not_found_error' },
    );
  }
  if (!info.isDirectory()) {
    throw new MmkitError(`${path} is not a folder; a model is a folder with config.json and onnx/*.onnx`, {
      code: 'model_not_found',
      param: 'model',
      type: 'not_found_error',
    });
  }
  const config = await readOptionalJsonFile(join(path, 'config.json'));
  if (!config) {
    throw new MmkitError(`${path} has no config.json: not a Hugging Face model folder`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
  const onnxFiles = (await readdir(join(path, 'onnx')).catch(() => [] as string[])).sort();
  if (!onnxFiles.some((name) => name.endsWith('.onnx'))) {
    throw new MmkitError(
      `${path} has no ONNX weights (onnx/*.onnx); use an ONNX export of the model, e.g. an onnx-community/… repo, or convert it with Hugging Face Optimum`,
      { code: 'model_no_onnx', param: 'model', type: 'not_found_error' },
    );
  }
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  return { path, config, modelType: String(config.model_type ?? ''), architectures, onnxFiles };
}

/** The dtype Transformers.js will use for a session when none is requested (config, else fp32). */
function configuredDtype(config: JsonObject, baseName: string): string {
  const custom = (config['transformers.js_config'] ?? {}) as JsonObject;
  const dtype = custom.dtype;
  if (typeof dtype === 'string' && dtype !== 'auto') return dtype;
  if (dtype && typeof dtype === 'object') {
    const perFile = (dtype as JsonObject)[baseName];
    if (typeof perFile === 'string' && perFile !== 'auto') return perFile;
  }
  return 'fp32';
}

/** The ONNX session base names (`model`, or `embed_tokens`, `vision_encoder`, …) Transformers.js loads. */
export async function sessionBaseNames(folder: ModelFolder): Promise<string[]> {
  const files = await ModelRegistry.get_model_files(folder.path, { config: folder.config as never, dtype: 'fp32' });
  return files
    .filter((file: string) => file.startsWith('onnx/') && file.endsWith('.onnx'))
    .map((file: string) => file.slice('onnx/'.length, -'.onnx'.length));
}

/** Dtypes for which every session has a weight file. */
export function availableDtypes(folder: ModelFolder, baseNames: readonly string[]): string[] {
  return Object.entries(DTYPE_SUFFIXES)
    .filter(([, suffix]) => baseNames.every((base) => folder.onnxFiles.includes(`${base}${suffix}.onnx`)))
    .map(([dtype]) => dtype);
}

/**
 * The weight files a load with `dtype` reads, with their total size. Throws a one-line error
 * naming the missing file and the dtypes that are present.
 */
export async function selectWeights(
  folder: ModelFolder,
  baseNames: readonly string[],
  dtype: DtypeSetting | undefined,
): Promise<WeightSelection> {
  const requested = typeof dtype === 'string' ? [dtype] : Object.values(dtype ?? {});
  for (const value of requested) {
    if (!Object.hasOwn(DTYPE_SUFFIXES, value)) {
      throw new MmkitError(`unknown dtype "${value}"; use one of: ${Object.keys(DTYPE_SUFFIXES).join(', ')}`, {
        code: 'dtype_unknown',
        param: 'dtype',
      });
    }
  }
  const files: string[] = [];
  const chosen = new Set<string>();
  let bytes = 0;
  for (const base of baseNames) {
    const baseDtype = (typeof dtype === 'string' ? dtype : dtype?.[base]) ?? configuredDtype(folder.config, base);
    chosen.add(baseDtype);
    const name = `${base}${DTYPE_SUFFIXES[baseDtype as keyof typeof DTYPE_SUFFIXES] ?? ''}.onnx`;
    if (!folder.onnxFiles.includes(name)) {
      const present = availableDtypes(folder, baseNames);
      throw new MmkitError(
        `${folder.path} has no ${baseDtype} weights (onnx/${name} is missing); dtypes present: ${present.length > 0 ? present.join(', ') : 'none complete'}`,
        { code: 'dtype_unavailable', param: 'dtype', type: 'not_found_error' },
      );
    }
    // The graph and its external data (`model.onnx_data`, `model.onnx_data_1`, …, or `model.onnx.data`).
    const belongs = (entry: string) => entry === name || entry.startsWith(`${name}_data`) || entry === `${name}.data`;
    for (const file of folder.onnxFiles.filter(belongs)) {
      files.push(`onnx/${file}`);
      bytes += (await stat(join(folder.path, 'onnx', file))).size;
    }
  }
  return { dtype: chosen.size === 1 ? [...chosen][0] : 'mixed', files, bytes };
}

/** The one-line error for a folder Transformers.js or ONNX Runtime could not load. */
export function modelLoadFailed(path: string, error: unknown): MmkitError {
  return new MmkitError(`cannot load the model in ${path}: ${describeError(error)}`, {
    code: 'model_load_failed',
    param: 'model',
    type: 'runtime_error',
    cause: error,
  });
}
