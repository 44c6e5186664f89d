/**
 * LoRA adapters in PEFT's folder layout, so adapters move both ways between mmkit and PEFT, TRL or
 * vLLM: `adapter_config.json` (`peft_type: "LORA"`, `r`, `lora_alpha`, `target_modules`, …) and
 * `adapter_model.safetensors` holding `base_model.model.<module>.lora_A.weight` [r, in] and
 * `….lora_B.weight` [out, r] per adapted linear layer. A layer's output becomes
 * `y = W·x + scale·B·(A·x)` with `scale = alpha / r` (or `alpha / √r` with rsLoRA).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { SafetensorsFile, writeSafetensors } from '../../media/safetensors.ts';
import { type AdapterConfig, parseAdapterConfig, patternValue } from './peft-config.ts';

export type { AdapterConfig } from './peft-config.ts';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

export interface LoraModule {
  /** The module path as the checkpoint names it, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  rank: number;
  alpha: number;
  inFeatures: number;
  outFeatures: number;
  /** [rank, inFeatures], row-major. */
  loraA: Float32Array;
  /** [outFeatures, rank], row-major. */
  loraB: Float32Array;
}

export interface PeftAdapter {
  config: AdapterConfig;
  modules: LoraModule[];
}

/** The factor applied to `B·A`: alpha / r, or alpha / √r with rsLoRA. */
export function loraScale(module: Pick<LoraModule, 'rank' | 'alpha'>, useRslora: boolean): number {
  return useRslora ? module.alpha / Math.sqrt(module.rank) : module.alpha / module.rank;
}

function adapterError(message: string, code: string, param?: string): MmkitError {
  return new MmkitError(message, { code, param: param ?? 'adapter' });
}

const TENSOR_NAME = /^base_model\.model\.(.+)\.lora_(A|B)(?:\.default)?\.weight$/;

export function readPeftAdapter(directory: string): PeftAdapter {
  const folder = resolve(directory);
  const info = statSync(folder, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new MmkitError(`adapter ${folder} does not exist or is not a folder`, {
      code: 'adapter_not_found',
      param: 'adapter',
      type: 'not_found_error',
    });
  }
  const configPath = join(folder, ADAPTER_CONFIG_FILE);
  const weightsPath = join(folder, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(configPath)) {
    throw adapterError(`adapter ${folder} has no ${ADAPTER_CONFIG_FILE}: not a PEFT adapter folder`, 'adapter_invalid');
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw adapterError(`${configPath}: not valid JSON (${describeError(error)})`, 'adapter_invalid');
  }
  const config = parseAdapterConfig(json, configPath);
  if (!existsSync(weightsPath)) {
    if (existsSync(join(folder, 'adapter_model.bin'))) {
      throw adapterError(
        `adapter ${folder} has only adapter_model.bin (a Python pickle, which mmkit does not load); convert it to safetensors, e.g. in Python: PeftModel.from_pretrained(base, DIR).save_pretrained(OUT, safe_serialization=True)`,
        'adapter_pickle',
      );
    }
    throw adapterError(`adapter ${folder} has no ${ADAPTER_WEIGHTS_FILE}`, 'adapter_invalid');
  }
  const file = SafetensorsFile.open(weightsPath);
  try {
    return { config, modules: readModules(file, config) };
  } finally {
    file.close();
  }
}

function readModules(file: SafetensorsFile, config: AdapterConfig): LoraModule[] {
  const pairs = new Map<string, { A?: string; B?: string }>();
  for (const name of file.entries.keys()) {
    const match = TENSOR_NAME.exec(name);
    if (!match) {
      const hint = /lora_embedding_|lora_magnitude_vector/.test(name)
        ? ' (LoRA on embeddings and DoRA magnitudes are not supported)'
        : '';
      throw adapterError(`${file.path}: unexpected tensor "${name}"${hint}`, 'adapter_invalid');
    }
    const [, module, which] = match;
    const pair = pairs.get(module) ?? {};
    pair[which as 'A' | 'B'] = name;
    pairs.set(module, pair);
  }
  if (pairs.size === 0) throw adapterError(`${file.path}: holds no LoRA tensors`, 'adapter_invalid');
  const modules: LoraModule[] = [];
  for (const [name, pair] of [...pairs].sort(([first], [second]) => first.localeCompare(second))) {
    if (!pair.A || !pair.B) {
      throw adapterError(
        `${file.path}: module ${name} has lora_${pair.A ? 'A' : 'B'} but no lora_${pair.A ? 'B' : 'A'}`,
        'adapter_invalid',
      );
    }
    const shapeA = file.entries.get(pair.A)?.shape ?? [];
    const shapeB = file.entries.get(pair.B)?.shape ?? [];
    const rank = patternValue(config.rankPattern, name) ?? config.rank;
    if (shapeA.length !== 2 || shapeB.length !== 2 || shapeA[0] !== shapeB[1]) {
      throw adapterError(
        `${file.path}: module ${name} has lora_A [${shapeA.join(', ')}] and lora_B [${shapeB.join(', ')}]; expected [r, in] and [out, r]`,
        'adapter_shape_mismatch',
      );
    }
    if (shapeA[0] !== rank) {
      throw adapterError(
        `${file.path}: module ${name} has rank ${shapeA[0]} but adapter_config.json says r = ${rank}`,
        'adapter_shape_mismatch',
      );
    }
    modules.push({
      name,
      rank,
      alpha: patternValue(config.alphaPattern, name) ?? config.alpha,
      inFeatures: shapeA[1],
      outFeatures: shapeB[0],
      loraA: file.float32(pair.A),
      loraB: file.float32(pair.B),
    });
  }
  return modules;
}

/** The config as PEFT writes it (keys it reads), plus whatever else the adapter came with. */
function configJson(config: AdapterConfig): Record<string, unknown> {
  return {
    ...config.extra,
    peft_type: 'LORA',
    task_type: config.taskType,
    base_model_name_or_path: config.baseModel,
    r: config.rank,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: config.useRslora,
    use_dora: false,
    rank_pattern: config.rankPattern,
    alpha_pattern: config.alphaPattern,
    modules_to_save: null,
    inference_mode: true,
  };
}

/**
 * Writes the adapter folder atomically: both files go into a temporary sibling folder that is then
 * renamed into place, so readers see the old adapter or the new one, never half of one. Other
 * entries of an existing folder (e.g. `checkpoints/` of the training run) are moved across.
 */
export function writePeftAdapter(directory: string, adapter: PeftAdapter): void {
  const target = resolve(directory);
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const module of adapter.modules) {
    if (
      module.loraA.length !== module.rank * module.inFeatures ||
      module.loraB.length !== module.outFeatures * module.rank
    ) {
      throw adapterError(
        `adapter module ${module.name}: tensor sizes do not match rank ${module.rank}`,
        'adapter_shape_mismatch',
      );
    }
    tensors[`base_model.model.${module.name}.lora_A.weight`] = {
      shape: [module.rank, module.inFeatures],
      data: module.loraA,
    };
    tensors[`base_model.model.${module.name}.lora_B.weight`] = {
      shape: [module.outFeatures, module.rank],
      data: module.loraB,
    };
  }
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const temporary = join(dirname(target), `.${basename(target)}.partial-${suffix}`);
  const previous = join(dirname(target), `.${basename(target)}.old-${suffix}`);
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(temporary);
    writeFileSync(join(temporary, ADAPTER_CONFIG_FILE), `${JSON.stringify(configJson(adapter.config), null, 2)}\n`);
    writeSafetensors(join(temporary, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
    const existed = existsSync(target);
    if (existed) renameSync(target, previous);
    renameSync(temporary, target);
    if (existed) {
      // Whatever else lived in the folder (a training run's checkpoints/) stays.
      for (const entry of readdirSync(previous)) {
        if (entry !== ADAPTER_CONFIG_FILE && entry !== ADAPTER_WEIGHTS_FILE) {
          renameSync(join(previous, entry), join(target, entry));
        }
      }
      rmSync(previous, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    if (existsSync(previous) && !existsSync(target)) renameSync(previous, target);
    if (error instanceof MmkitError) throw error;
    throw new MmkitError(`cannot write adapter ${target} (${describeError(error)})`, {
      code: 'write_failed',
      param: target,
    });
  }
}
