/**
 * Finds and builds a Transformers.js tokenizer from a local folder (or, failing that, a Hub repo id).
 * A folder may hold `tokenizer.json` (+ `tokenizer_config.json`), or only `vocab.json` + `merges.txt`
 * (a Stable Diffusion `tokenizer/`: the CLIP `tokenizer.json` is then built in memory), or a
 * `tokenizer/` subfolder with either.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { describeError, MmkitError } from '../../errors.ts';
import { buildClipTokenizerConfig, buildClipTokenizerJson, parseMerges } from './clip-tokenizer-json.ts';
import { loadRemoteTokenizer, looksLikeRepoId } from './remote-tokenizer.ts';

type JsonObject = Record<string, unknown>;

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readJson(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MmkitError(`${path}: cannot read (${describeError(error)})`, {
      code: 'tokenizer_unreadable',
      param: path,
    });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as JsonObject;
  } catch (error) {
    throw new MmkitError(`${path}: not valid JSON (${describeError(error)})`, {
      code: 'tokenizer_unreadable',
      param: path,
    });
  }
}

async function readOptionalJson(path: string): Promise<JsonObject | undefined> {
  return (await isFile(path)) ? readJson(path) : undefined;
}

type Layout = 'tokenizer-json' | 'vocab-merges';

async function detectLayout(dir: string): Promise<Layout | undefined> {
  if (await isFile(join(dir, 'tokenizer.json'))) return 'tokenizer-json';
  if ((await isFile(join(dir, 'vocab.json'))) && (await isFile(join(dir, 'merges.txt')))) return 'vocab-merges';
  return undefined;
}

/**
 * Special tokens may be written as strings or as `{content: ...}` objects (newer files drop the
 * `__type` tag Transformers.js insists on): flatten them to strings, filling gaps from
 * `special_tokens_map.json`.
 */
function normaliseConfig(config: JsonObject, specialTokens: JsonObject | undefined): JsonObject {
  const result: JsonObject = { ...config };
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
    const value = result[key] ?? specialTokens?.[key];
    if (value && typeof value === 'object' && typeof (value as JsonObject).content === 'string') {
      result[key] = (value as JsonObject).content;
    } else if (value !== undefined) {
      result[key] = value;
    }
  }
  return result;
}

type TokenizerClass = new (json: JsonObject, config: JsonObject) => PreTrainedTokenizer;

/** The Transformers.js class `tokenizer_class` names (loaded lazily: other commands need none of it). */
async function tokenizerClass(name: unknown): Promise<TokenizerClass> {
  const transformers = await import('@huggingface/transformers');
  const key = typeof name === 'string' ? name.replace(/Fast$/, '') : '';
  const candidate = (transformers as unknown as Record<string, unknown>)[key];
  if (typeof candidate === 'function' && candidate.prototype instanceof transformers.PreTrainedTokenizer) {
    return candidate as new (
      json: JsonObject,
      config: JsonObject,
    ) => PreTrainedTokenizer;
  }
  return transformers.PreTrainedTokenizer;
}

async function loadFromFolder(
  dir: string,
  layout: Layout,
): Promise<{ backend: PreTrainedTokenizer; json: JsonObject }> {
  const specialTokens = await readOptionalJson(join(dir, 'special_tokens_map.json'));
  let json: JsonObject;
  let config = await readOptionalJson(join(dir, 'tokenizer_config.json'));
  if (layout === 'tokenizer-json') {
    json = await readJson(join(dir, 'tokenizer.json'));
    config ??= {};
  } else {
    const vocabulary = await readJson(join(dir, 'vocab.json'));
    const merges = parseMerges(await readFile(join(dir, 'merges.txt'), 'utf8'));
    try {
      json = buildClipTokenizerJson(vocabulary as Record<string, number>, merges);
    } catch (error) {
      throw new MmkitError(`${dir}: vocab.json is not a CLIP vocabulary (${describeError(error)})`, {
        code: 'tokenizer_unsupported',
        param: dir,
      });
    }
    config = buildClipTokenizerConfig(config ?? {});
  }
  config = normaliseConfig(config, specialTokens);
  const Tokenizer = await tokenizerClass(config.tokenizer_class);
  try {
    return { backend: new Tokenizer(json, config), json };
  } catch (error) {
    throw new MmkitError(`${dir}: cannot build a tokenizer from its files (${describeError(error)})`, {
      code: 'tokenizer_unreadable',
      param: dir,
      cause: error,
    });
  }
}

/** Where the tokenizer files of `dir` are: the folder itself or its `tokenizer/` subfolder. */
async function findTokenizerFolder(dir: string): Promise<{ folder: string; layout: Layout }> {
  for (const folder of [dir, join(dir, 'tokenizer')]) {
    const layout = await detectLayout(folder);
    if (layout) return { folder, layout };
  }
  throw new MmkitError(
    `${dir}: no tokenizer files (tokenizer.json, or vocab.json + merges.txt) here or in ${join(dir, 'tokenizer')}`,
    { code: 'tokenizer_not_found', param: 'tokenizer', type: 'not_found_error' },
  );
}

export interface LoadedTokenizer {
  backend: PreTrainedTokenizer;
  /** The folder the files came from, or the repo id. */
  origin: string;
  /** The `tokenizer.json` the backend was built from (read or, for vocab + merges, assembled); folders only. */
  json?: JsonObject;
}

/** `source`: a folder (see above) or, when no such path exists, a Hugging Face repo id. */
export async function loadTokenizerBackend(source: string): Promise<LoadedTokenizer> {
  const info = await stat(source).catch(() => undefined);
  if (info) {
    if (!info.isDirectory()) {
      throw new MmkitError(`${source}: the tokenizer must be a folder, not a file`, {
        code: 'tokenizer_not_found',
        param: 'tokenizer',
      });
    }
    const { folder, layout } = await findTokenizerFolder(resolve(source));
    return { ...(await loadFromFolder(folder, layout)), origin: folder };
  }
  if (!looksLikeRepoId(source)) {
    throw new MmkitError(`${source}: tokenizer folder does not exist`, {
      code: 'tokenizer_not_found',
      param: 'tokenizer',
      type: 'not_found_error',
    });
  }
  return { backend: await loadRemoteTokenizer(source), origin: source };
}
