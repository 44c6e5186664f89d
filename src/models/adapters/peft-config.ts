/**
 * `adapter_config.json` as PEFT writes it for LoRA: what mmkit reads, and the checks that turn a
 * config it cannot apply (another PEFT method, DoRA, trained biases, fan-in/fan-out weights, saved
 * whole modules) into one clear error. Keys mmkit does not use are kept for writing back.
 */
import { MmkitError } from '../../errors.ts';

export interface AdapterConfig {
  rank: number;
  alpha: number;
  dropout: number;
  /** A list of module name suffixes, or one regular expression over full module names. */
  targetModules: string[] | string;
  baseModel: string | null;
  taskType: string;
  /** Scale by alpha/√r instead of alpha/r. */
  useRslora: boolean;
  /** Per-module overrides of r and lora_alpha, keyed by a module name pattern. */
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  /** Every other key of the file, kept as it was. */
  extra: Record<string, unknown>;
}

const KNOWN_KEYS = new Set([
  'peft_type',
  'task_type',
  'base_model_name_or_path',
  'r',
  'lora_alpha',
  'lora_dropout',
  'target_modules',
  'bias',
  'fan_in_fan_out',
  'use_rslora',
  'use_dora',
  'rank_pattern',
  'alpha_pattern',
  'modules_to_save',
  'inference_mode',
]);

function invalid(path: string, message: string, code = 'adapter_invalid'): MmkitError {
  return new MmkitError(`${path}: ${message}`, { code, param: 'adapter' });
}

function numberRecord(value: unknown, key: string, path: string): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(path, `${key} must be an object`);
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'number' || !(entry > 0)) throw invalid(path, `${key}["${name}"] must be a positive number`);
  }
  return value as Record<string, number>;
}

export function parseAdapterConfig(json: unknown, path: string): AdapterConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalid(path, 'not a JSON object');
  const value = json as Record<string, unknown>;
  const peftType = String(value.peft_type ?? '');
  if (peftType.toUpperCase() !== 'LORA') {
    throw invalid(
      path,
      `peft_type is "${peftType || 'missing'}"; mmkit applies LoRA adapters only`,
      'adapter_unsupported',
    );
  }
  if (value.use_dora === true) {
    throw invalid(
      path,
      'a DoRA adapter (use_dora: true) cannot be applied; train a plain LoRA adapter',
      'adapter_unsupported',
    );
  }
  if (value.bias !== undefined && value.bias !== 'none') {
    throw invalid(
      path,
      `bias is "${String(value.bias)}"; only adapters trained with bias "none" can be applied`,
      'adapter_unsupported',
    );
  }
  if (value.fan_in_fan_out === true) {
    throw invalid(path, 'fan_in_fan_out: true (GPT-2 style Conv1D weights) is not supported', 'adapter_unsupported');
  }
  if (Array.isArray(value.modules_to_save) && value.modules_to_save.length > 0) {
    throw invalid(
      path,
      `modules_to_save (${value.modules_to_save.join(', ')}) saves whole modules, which mmkit cannot apply; train without modules_to_save`,
      'adapter_unsupported',
    );
  }
  const rank = value.r;
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1)
    throw invalid(path, 'r must be a positive integer');
  const alpha = value.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0)) throw invalid(path, 'lora_alpha must be a positive number');
  const targets = value.target_modules ?? [];
  if (!(typeof targets === 'string' || (Array.isArray(targets) && targets.every((item) => typeof item === 'string')))) {
    throw invalid(path, 'target_modules must be a list of names or a regular expression');
  }
  const extra = Object.fromEntries(Object.entries(value).filter(([key]) => !KNOWN_KEYS.has(key)));
  return {
    rank,
    alpha,
    dropout: typeof value.lora_dropout === 'number' ? value.lora_dropout : 0,
    targetModules: targets as string[] | string,
    baseModel: typeof value.base_model_name_or_path === 'string' ? value.base_model_name_or_path : null,
    taskType: typeof value.task_type === 'string' ? value.task_type : 'CAUSAL_LM',
    useRslora: value.use_rslora === true,
    rankPattern: numberRecord(value.rank_pattern, 'rank_pattern', path),
    alphaPattern: numberRecord(value.alpha_pattern, 'alpha_pattern', path),
    extra,
  };
}

/**
 * The override a pattern map gives a module, matched as PEFT does: the key (a regular expression)
 * must match the whole module name or a dotted suffix of it.
 */
export function patternValue(patterns: Readonly<Record<string, number>>, moduleName: string): number | undefined {
  for (const [key, value] of Object.entries(patterns)) {
    let matches: boolean;
    try {
      matches = new RegExp(`^(?:.*\\.)?(?:${key})$`).test(moduleName);
    } catch {
      matches = moduleName === key || moduleName.endsWith(`.${key}`);
    }
    if (matches) return value;
  }
  return undefined;
}
