/**
 * The config file (`--config FILE`, else `$MMKIT_HOME/config.json`): which model serves each
 * capability, and options per model entry. Validated with zod; every problem is one line naming the
 * file and the field.
 *
 * ```json
 * {
 *   "defaults": {
 *     "chat": "onnx-community/Qwen2.5-0.5B-Instruct",
 *     "visionChat": { "id": "openai:llava@http://gpu-box:8000/v1", "apiKey": "sk-…" },
 *     "embeddings": { "id": "Xenova/clip-vit-base-patch32", "dtype": "fp16", "device": "cuda" }
 *   },
 *   "models": { "big-vlm": { "id": "onnx-community/Qwen2-VL-2B-Instruct", "dtype": "q4" } },
 *   "adapters": { "radiology": { "base": "big-vlm", "path": "./adapters/radiology" } },
 *   "styles": { "水墨": "Chinese ink wash painting, monochrome, flowing brush strokes" }
 * }
 * ```
 * `models` names entries that `--model NAME` (or a default) can refer to. `adapters` names LoRA
 * adapters (PEFT folders; a relative path is relative to the config file) on a base model (an id or
 * a `models` name): `--model radiology`, or `model: "radiology"` in a request, loads the base with
 * the adapter applied, as vLLM serves LoRA adapters under their own names. Other top-level sections
 * belong to other parts of mmkit and are passed through untouched.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { describeError, MmkitError } from '../errors.ts';

export const CAPABILITIES = [
  'chat',
  'visionChat',
  'transcription',
  'speech',
  'imageGeneration',
  'embeddings',
  'ctc',
  'ocr',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

const dtypeName = z.string().regex(/^[a-z0-9]+$/, 'must be a dtype name such as fp32, fp16, q8, q4');

const modelEntryObjectSchema = z.looseObject({
  id: z.string().min(1),
  dtype: z.union([dtypeName, z.record(z.string(), dtypeName)]).optional(),
  device: z.enum(['cpu', 'cuda']).optional(),
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().optional(),
  // ONNX Runtime session options for the onnx provider.
  intraOpNumThreads: z.int().min(1).optional(),
  interOpNumThreads: z.int().min(1).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'layout', 'all']).optional(),
});

/** A model entry: an id, or an id with options. Unknown options go to the provider as they are. */
export const modelEntrySchema = z.union([z.string().min(1), modelEntryObjectSchema]);
export type ModelEntryInput = z.infer<typeof modelEntrySchema>;

export const configSchema = z.looseObject({
  defaults: z
    .strictObject(
      Object.fromEntries(CAPABILITIES.map((name) => [name, modelEntrySchema.optional()])) as {
        [K in Capability]: z.ZodOptional<typeof modelEntrySchema>;
      },
    )
    .optional(),
  models: z.record(z.string().min(1), modelEntrySchema).optional(),
  /** LoRA adapters served under their own names: a base model (id or `models` name) and a PEFT folder. */
  adapters: z
    .record(
      z.string().min(1),
      z.strictObject({
        base: z.string().min(1),
        path: z.string().min(1),
        /** `auto`: merge into float weights, a side path beside quantized ones. */
        mode: z.enum(['auto', 'merge', 'side-path']).optional(),
      }),
    )
    .optional(),
  /** Text-to-image styles of your own, name → template (may replace a built-in one). */
  styles: z.record(z.string().trim().min(1), z.string().trim().min(1)).optional(),
});
export type MmkitConfig = z.infer<typeof configSchema>;

export function mmkitHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.MMKIT_HOME && env.MMKIT_HOME.trim() !== '' ? env.MMKIT_HOME : join(homedir(), '.cache', 'mmkit');
}

function describeIssue(issue: z.core.$ZodIssue, parentPath: PropertyKey[] = []): string {
  const fullPath = [...parentPath, ...issue.path];
  // An entry is a string or an object: report the branch that got furthest (the object's field).
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const branches = issue.errors.filter((branch) => branch.length > 0);
    const deepest = branches.reduce((best, branch) => (branch[0].path.length > best[0].path.length ? branch : best));
    if (deepest[0].path.length > 0) return describeIssue(deepest[0], fullPath);
    return `${fullPath.map(String).join('.')}: must be a model id or an object with an "id"`;
  }
  const path = fullPath.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const where = path === '' ? '' : `${path}: `;
    const allowed = path === 'defaults' ? `; capabilities are ${CAPABILITIES.join(', ')}` : '';
    return `${where}unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}${allowed}`;
  }
  return `${path === '' ? 'the file' : path}: ${issue.message}`;
}

/** Validates an already-parsed config; `source` names it in messages. */
export function parseConfig(value: unknown, source: string): MmkitConfig {
  const result = configSchema.safeParse(value);
  if (!result.success) {
    throw new MmkitError(`${source}: ${describeIssue(result.error.issues[0])}`, {
      code: 'config_invalid',
      param: 'config',
    });
  }
  return result.data;
}

export interface LoadConfigOptions {
  /** `--config FILE`: must exist. Without it, `$MMKIT_HOME/config.json` is read if present. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: MmkitConfig;
  /** The file read, or undefined when there was none. */
  path: string | undefined;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const path = options.path ?? join(mmkitHome(options.env), 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (options.path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { config: {}, path: undefined };
    }
    throw new MmkitError(`config file ${path}: cannot read (${describeError(error)})`, {
      code: 'config_unreadable',
      param: 'config',
      ...((error as NodeJS.ErrnoException).code === 'ENOENT' ? { type: 'not_found_error' as const } : {}),
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MmkitError(`config file ${path}: not valid JSON (${describeError(error)})`, {
      code: 'config_invalid',
      param: 'config',
    });
  }
  return { config: withAdapterPathsFrom(dirname(path), parseConfig(value, `config file ${path}`)), path };
}

/** Adapter folders given relative to the config file, made absolute (runners get the config as data). */
function withAdapterPathsFrom(folder: string, config: MmkitConfig): MmkitConfig {
  if (!config.adapters) return config;
  const adapters = Object.fromEntries(
    Object.entries(config.adapters).map(([name, adapter]) => [
      name,
      { ...adapter, path: resolve(folder, adapter.path) },
    ]),
  );
  return { ...config, adapters };
}
