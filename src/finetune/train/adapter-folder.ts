/**
 * A trained adapter written as a PEFT LoRA folder: `adapter_config.json` and
 * `adapter_model.safetensors` with PEFT's tensor names (`base_model.model.<module>.lora_A.weight`
 * [r, in], `lora_B.weight` [out, r]), so PEFT and vLLM load it as it is.
 *
 * Seam: the adapters package (`src/models/adapters/`, `writePeftAdapter(dir, adapter)`) owns this
 * format; `writeAdapterFolder` is the one call the training command makes, to be pointed there.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { type Float32Tensor, writeSafetensors } from '../../media/safetensors.ts';
import type { LoraTarget } from '../model/decoder-config.ts';

export interface TrainedAdapter {
  /** `base_model_name_or_path`: the Hub id or folder the adapter was trained on. */
  baseModel: string;
  rank: number;
  alpha: number;
  dropout: number;
  targets: readonly LoraTarget[];
  /** PEFT names → tensors in PEFT's layout. */
  tensors: Readonly<Record<string, Float32Tensor>>;
}

/** PEFT's config for a LoRA adapter on a causal LM. */
export function peftAdapterConfig(adapter: TrainedAdapter): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: adapter.baseModel,
    r: adapter.rank,
    lora_alpha: adapter.alpha,
    lora_dropout: adapter.dropout,
    target_modules: [...adapter.targets],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
  };
}

/**
 * The training graph names modules as a plain decoder does (`model.layers.0…`); a model whose
 * decoder sits under another prefix (LLaVA's `language_model.model.`) needs PEFT names with it.
 */
export function peftTensorName(name: string, modulePrefix = 'model.'): string {
  const plain = 'base_model.model.model.';
  return name.startsWith(plain) ? `base_model.model.${modulePrefix}${name.slice(plain.length)}` : name;
}

export function writeAdapterFolder(dir: string, adapter: TrainedAdapter): { config: string; weights: string } {
  const config = join(dir, 'adapter_config.json');
  const weights = join(dir, 'adapter_model.safetensors');
  const temporary = join(dir, `.adapter_config.json.${process.pid}.partial`);
  try {
    mkdirSync(dir, { recursive: true });
    writeSafetensors(weights, adapter.tensors, { format: 'pt' });
    writeFileSync(temporary, `${JSON.stringify(peftAdapterConfig(adapter), null, 2)}\n`);
    renameSync(temporary, config);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new MmkitError(`cannot write the adapter to ${dir} (${describeError(error)})`, {
      code: 'adapter_unwritable',
      param: 'out',
      cause: error,
    });
  }
  return { config, weights };
}
