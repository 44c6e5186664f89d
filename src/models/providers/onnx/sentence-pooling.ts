/**
 * From token vectors to one vector per text, as sentence-transformers' `Pooling` module does it:
 * the modes its `1_Pooling/config.json` switches on (several are concatenated in its order), over
 * the real tokens only (the attention mask says which). Transformers.js's feature-extraction
 * pipeline pools too, but reads no pooling config and has no max or weighted mean, so a model's own
 * choice would be ours to translate anyway; this is that translation plus the arithmetic.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../../errors.ts';

export const POOLING_MODES = ['cls', 'mean', 'max', 'weightedmean', 'lasttoken'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** sentence-transformers' config keys, in the order it concatenates them. */
const CONFIG_KEYS: ReadonlyArray<readonly [string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  // Mean scaled by √length: the direction of the mean, and vectors come back normalised.
  ['pooling_mode_mean_sqrt_len_tokens', 'mean'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

/** What a sentence-transformers folder says about the steps after the encoder. */
export interface SentenceTransformersSetup {
  /** Its Pooling module's modes; undefined when it has no pooling config (a plain Transformers.js export). */
  pooling?: PoolingMode[] | undefined;
  /** Modules other than the encoder, pooling and normalisation (`…models.Dense`): steps an encoder-only ONNX graph leaves out. */
  otherModules: string[];
}

const KNOWN_MODULES = ['.Transformer', '.Pooling', '.Normalize'];

/** Reads `modules.json` and the Pooling module's config (its folder as `modules.json` names it, else `1_Pooling/`). */
export async function readSentenceTransformersSetup(folder: string): Promise<SentenceTransformersSetup> {
  const listed = await readJson(join(folder, 'modules.json'));
  const modules = (Array.isArray(listed) ? listed : []) as Array<{ type?: unknown; path?: unknown } | null>;
  const types = modules.map((module) => (typeof module?.type === 'string' ? module.type : ''));
  const otherModules = types.filter((type) => !KNOWN_MODULES.some((known) => type.endsWith(known)));
  const poolingModule = modules.find((_, index) => types[index]!.endsWith('.Pooling'));
  const path = join(folder, typeof poolingModule?.path === 'string' ? poolingModule.path : '1_Pooling', 'config.json');
  const config = await readJson(path);
  if (config === undefined) return { otherModules };
  if (typeof config !== 'object' || config === null) {
    throw new MmkitError(`${path}: expected a JSON object of pooling_mode_* switches`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
  const switches = config as Record<string, unknown>;
  const modes = CONFIG_KEYS.filter(([key]) => switches[key] === true).map(([, mode]) => mode);
  if (modes.length === 0) {
    throw new MmkitError(`${path} switches on no pooling mode this model could be read with`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
  return { pooling: [...new Set(modes)], otherModules };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MmkitError(`${path}: not valid JSON (${describeError(error)})`, {
      code: 'model_invalid',
      param: 'model',
    });
  }
}

export function parsePoolingModes(value: unknown, id: string): PoolingMode[] {
  const items = typeof value === 'string' ? value.split(/[,+]/).map((item) => item.trim()) : value;
  if (
    !Array.isArray(items) ||
    items.length === 0 ||
    !items.every((item) => (POOLING_MODES as readonly unknown[]).includes(item))
  ) {
    throw new MmkitError(`${id}: pooling must be one of ${POOLING_MODES.join(', ')}, got ${JSON.stringify(value)}`, {
      code: 'pooling_invalid',
      param: 'pooling',
    });
  }
  return items as PoolingMode[];
}

/**
 * One vector per row of `tokens` (`[rows, length, width]`, row-major), the modes' results side by
 * side, L2-normalised so a dot product is the cosine similarity.
 */
export function poolTokens(
  tokens: Float32Array,
  [rows, length, width]: readonly [number, number, number],
  mask: ArrayLike<bigint | number>,
  modes: readonly PoolingMode[],
): Float32Array[] {
  const result: Float32Array[] = [];
  for (let row = 0; row < rows; row++) {
    const vector = new Float32Array(width * modes.length);
    const rowStart = row * length;
    for (const [part, mode] of modes.entries()) {
      poolRow(tokens, rowStart, length, width, mask, mode, vector.subarray(part * width));
    }
    normalise(vector);
    result.push(vector);
  }
  return result;
}

function poolRow(
  tokens: Float32Array,
  rowStart: number,
  length: number,
  width: number,
  mask: ArrayLike<bigint | number>,
  mode: PoolingMode,
  out: Float32Array,
): void {
  const real = (position: number) => Number(mask[rowStart + position]) !== 0;
  const add = (position: number, weight: number) => {
    const offset = (rowStart + position) * width;
    for (let index = 0; index < width; index++) out[index]! += weight * tokens[offset + index]!;
  };
  switch (mode) {
    case 'cls':
      add(0, 1);
      return;
    case 'lasttoken': {
      // The last real token, wherever the padding sits (left-padded decoders too).
      let last = length - 1;
      while (last > 0 && !real(last)) last--;
      add(last, 1);
      return;
    }
    case 'max': {
      out.fill(Number.NEGATIVE_INFINITY, 0, width);
      let any = false;
      for (let position = 0; position < length; position++) {
        if (!real(position)) continue;
        any = true;
        const offset = (rowStart + position) * width;
        for (let index = 0; index < width; index++) out[index] = Math.max(out[index]!, tokens[offset + index]!);
      }
      if (!any) out.fill(0, 0, width);
      return;
    }
    case 'mean':
    case 'weightedmean': {
      // Weighted mean: position i (from 1) weighs i, so later tokens, which saw more, count more.
      let total = 0;
      for (let position = 0, seen = 0; position < length; position++) {
        if (!real(position)) continue;
        const weight = mode === 'mean' ? 1 : ++seen;
        add(position, weight);
        total += weight;
      }
      if (total > 0) for (let index = 0; index < width; index++) out[index]! /= total;
      return;
    }
  }
}

function normalise(vector: Float32Array): void {
  let squares = 0;
  for (const value of vector) squares += value * value;
  const length = Math.sqrt(squares);
  if (length === 0) return;
  for (let index = 0; index < vector.length; index++) vector[index]! /= length;
}
