/**
 * Which files of a Hub repo a Transformers.js (or Optimum diffusion) model needs. Repos hold
 * every precision side by side (`model.onnx`, `model_q4.onnx`, `model_fp16.onnx` …) and often
 * PyTorch weights too; pulling everything would cost gigabytes. We keep all small configuration
 * and tokenizer files, and of the ONNX weights only the chosen dtype of each graph plus its
 * external data files (`X.onnx_data`, `X.onnx_data_1` …, or `X.onnx.data` as torch.onnx and ONNX
 * Runtime's exporters name it).
 */
import { MmkitError } from '../../errors.ts';
import { DTYPE_SUFFIXES, type Dtype } from '../dtypes.ts';
import { globToRegExp } from './glob.ts';

export type { Dtype };
/** One dtype for every graph, a per-graph map (`{ decoder_model_merged: 'q4' }`), or `all`. */
export type DtypeChoice = Dtype | 'all' | Partial<Record<string, Dtype>>;

export interface FileSelectionOptions {
  dtype?: DtypeChoice | undefined;
  /** Extra files to take (globs over repo paths: `onnx/*`, `**\/*.onnx`). */
  include?: string[] | undefined;
  /** Files to leave out even when selected. */
  exclude?: string[] | undefined;
  /** Fail when the repo has no ONNX graph at all (true unless pulling e.g. a tokenizer repo). */
  requireWeights?: boolean | undefined;
}

export interface ListedFile {
  path: string;
  size: number;
}

export interface OnnxGraph {
  /** `onnx/decoder_model_merged`, `unet/model`. */
  key: string;
  /** File name stem without dtype suffix: `decoder_model_merged`. */
  name: string;
  variants: Map<Dtype, string>;
}

const configFile = /(^|\/)[^/]+\.(json|txt|jinja)$/;
/** Folders of a diffusion repo mmkit does not run (the safety checker). */
const unusedDiffusionFolders = ['safety_checker/'];
/**
 * Pulled, but a cached model is complete without them: image to image's VAE encoder (a model
 * pulled before mmkit ran image to image still loads, offline too, for text to image).
 */
const optionalDiffusionFolders = ['vae_encoder/'];

export function isOptionalFile(path: string): boolean {
  return optionalDiffusionFolders.some((folder) => path.startsWith(folder));
}
// Longest suffixes first so `_q4f16` is not read as `_q4`.
const suffixOrder = (Object.entries(DTYPE_SUFFIXES) as [Dtype, string][])
  .filter(([, suffix]) => suffix !== '')
  .sort((a, b) => b[1].length - a[1].length);

export function isDtype(value: string): value is Dtype {
  return Object.hasOwn(DTYPE_SUFFIXES, value);
}

/** Groups `.onnx` files by graph, each with the dtypes it exists in. */
export function onnxGraphs(paths: string[]): OnnxGraph[] {
  const graphs = new Map<string, OnnxGraph>();
  for (const path of paths) {
    if (!path.endsWith('.onnx')) continue;
    const slash = path.lastIndexOf('/');
    const folder = path.slice(0, slash + 1);
    const stem = path.slice(slash + 1, -'.onnx'.length);
    const [dtype, suffix] = suffixOrder.find(([, suffix]) => stem.endsWith(suffix)) ?? (['fp32', ''] as const);
    const name = stem.slice(0, stem.length - suffix.length);
    const key = `${folder}${name}`;
    const graph = graphs.get(key) ?? { key, name, variants: new Map() };
    graph.variants.set(dtype, path);
    graphs.set(key, graph);
  }
  return [...graphs.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The repo paths to download, sorted. `config` is the repo's parsed `config.json` (its
 * `transformers.js_config` may name a default dtype and external data chunk counts).
 */
export function selectModelFiles(
  repoId: string,
  files: ListedFile[],
  options: FileSelectionOptions = {},
  config?: unknown,
): string[] {
  const paths = files.map((file) => file.path);
  const selected = new Set(paths.filter((path) => configFile.test(path)));
  const jsConfig = transformersJsConfig(config);
  const diffusion = paths.includes('model_index.json');
  const graphs = onnxGraphs(paths).filter((graph) => isUsedGraph(graph, paths, diffusion));
  if (graphs.length === 0 && options.requireWeights !== false && !options.include?.length) {
    throw new MmkitError(
      `${repoId} has no ONNX weights (*.onnx files): mmkit runs ONNX models, so pick an ONNX export of it (often under onnx-community/ or Xenova/)`,
      { code: 'model_no_onnx', type: 'unsupported_error', param: 'model' },
    );
  }
  for (const graph of graphs) {
    for (const path of chosenVariants(repoId, graph, options.dtype ?? jsConfig.dtype)) {
      selected.add(path);
      for (const dataPath of externalDataFiles(repoId, path, paths, jsConfig.externalData, graph.name)) {
        selected.add(dataPath);
      }
    }
  }
  for (const pattern of (options.include ?? []).map(globToRegExp)) {
    for (const path of paths) if (pattern.test(path)) selected.add(path);
  }
  for (const pattern of (options.exclude ?? []).map(globToRegExp)) {
    for (const path of [...selected]) if (pattern.test(path)) selected.delete(path);
  }
  return [...selected].sort();
}

/**
 * sentence-transformers' ONNX backend publishes `model.onnx` with optimised (`model_O1` … `model_O4`)
 * and CPU-specific quantised copies (`model_qint8_avx512_vnni`, `model_quint8_avx2`, …) beside it:
 * the same model again, and no dtype names them (`--include` still can).
 */
const sentenceTransformersCopy = /^model_(O[1-4]|q(u)?int8_[a-z0-9_]+)$/;

/**
 * Optimum exports a decoder three ways; Transformers.js loads only the merged one (with and
 * without past key values in one graph), so the other two are skipped when it exists.
 */
function isUsedGraph(graph: OnnxGraph, paths: string[], diffusion: boolean): boolean {
  if (diffusion && unusedDiffusionFolders.some((folder) => graph.key.startsWith(folder))) return false;
  const folder = graph.key.slice(0, graph.key.length - graph.name.length);
  if (sentenceTransformersCopy.test(graph.name) && paths.includes(`${folder}model.onnx`)) return false;
  const mergedOf = (name: string) => `${folder}${name}_merged`;
  const hasGraph = (key: string) => paths.some((path) => path.startsWith(key) && path.endsWith('.onnx'));
  if (graph.name.endsWith('_model') && hasGraph(mergedOf(graph.name))) return false;
  const withPast = graph.name.match(/^(.*)_with_past_model$/);
  if (withPast && hasGraph(mergedOf(`${withPast[1]}_model`))) return false;
  return true;
}

function chosenVariants(repoId: string, graph: OnnxGraph, choice: DtypeChoice | undefined): string[] {
  if (choice === 'all') return [...graph.variants.values()];
  const dtype = dtypeFor(graph, choice);
  const path = graph.variants.get(dtype);
  if (path) return [path];
  const available = [...graph.variants.keys()].join(', ');
  throw new MmkitError(
    `${repoId} has no ${dtype} version of ${graph.key}.onnx (it has: ${available}): choose one of those with --dtype, or per graph with --dtype ${graph.name}=${[...graph.variants.keys()][0]}`,
    { code: 'model_dtype_unavailable', type: 'not_found_error', param: 'dtype' },
  );
}

function dtypeFor(graph: OnnxGraph, choice: DtypeChoice | undefined): Dtype {
  if (choice === undefined || choice === 'all') return 'fp32';
  if (typeof choice === 'string') return choice;
  const folder = graph.key.slice(0, graph.key.length - graph.name.length - 1);
  return choice[graph.key] ?? choice[graph.name] ?? (folder ? choice[folder] : undefined) ?? 'fp32';
}

/**
 * `X.onnx_data`, `X.onnx_data_1` … (Optimum) or `X.onnx.data` (torch.onnx, ONNX Runtime's own
 * exports, e.g. onnxruntime/sdxl-turbo) present beside a chosen graph, checked against the config.
 */
function externalDataFiles(
  repoId: string,
  onnxPath: string,
  paths: string[],
  declared: unknown,
  graphName: string,
): string[] {
  const pattern = new RegExp(`^${escapeRegExp(onnxPath)}(_data(_\\d+)?|\\.data)$`);
  const present = paths.filter((path) => pattern.test(path));
  // Older Optimum exports (e.g. Stable Diffusion 1.5's unet/) keep a graph's weights in weights.pb beside it.
  const folder = onnxPath.slice(0, onnxPath.lastIndexOf('/') + 1);
  if (onnxPath.endsWith('/model.onnx') && paths.includes(`${folder}weights.pb`)) present.push(`${folder}weights.pb`);
  const fileName = onnxPath.slice(onnxPath.lastIndexOf('/') + 1);
  const expected = declaredChunks(declared, fileName, graphName);
  if (present.length < expected) {
    throw new MmkitError(
      `${repoId} declares ${expected} external data file(s) for ${onnxPath} in config.json but has ${present.length}: the export is incomplete, choose another --dtype`,
      { code: 'model_incomplete', type: 'runtime_error', param: 'dtype' },
    );
  }
  return present;
}

function declaredChunks(declared: unknown, fileName: string, graphName: string): number {
  if (declared === undefined || declared === null || declared === false) return 0;
  if (typeof declared === 'object') {
    const table = declared as Record<string, unknown>;
    const value = table[fileName] ?? table[graphName];
    return value === undefined ? 0 : Number(value) || 0;
  }
  return Number(declared) || 0;
}

function transformersJsConfig(config: unknown): { dtype?: DtypeChoice; externalData?: unknown } {
  const section = (config as Record<string, unknown> | undefined)?.['transformers.js_config'];
  if (!section || typeof section !== 'object') return {};
  const { dtype, use_external_data_format: externalData } = section as Record<string, unknown>;
  const validDtype =
    (typeof dtype === 'string' && isDtype(dtype)) ||
    (typeof dtype === 'object' &&
      dtype !== null &&
      Object.values(dtype).every((v) => typeof v === 'string' && isDtype(v)));
  return { dtype: validDtype ? (dtype as DtypeChoice) : undefined, externalData };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses `--dtype q4` or `--dtype decoder_model_merged=q4,embed_tokens=fp16` (or `all`). */
export function parseDtypeChoice(text: string): DtypeChoice {
  const value = text.trim();
  if (value === 'all' || isDtype(value)) return value;
  const choice: Record<string, Dtype> = {};
  for (const pair of value.split(',')) {
    const [name, dtype] = pair.split('=').map((part) => part.trim());
    if (!name || !dtype || !isDtype(dtype)) {
      throw new MmkitError(
        `--dtype must be one of ${Object.keys(DTYPE_SUFFIXES).join(', ')}, all, or graph=dtype pairs like decoder_model_merged=q4, got '${text}'`,
        { code: 'dtype_invalid', param: 'dtype' },
      );
    }
    choice[name] = dtype;
  }
  return choice;
}
