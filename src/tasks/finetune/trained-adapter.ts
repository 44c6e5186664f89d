/**
 * The trained LoRA tensors as a PEFT adapter (`src/models/adapters/peft-adapter.ts`), so the one
 * writer and reader of PEFT folders serves training too. The training graph already names its
 * tensors as PEFT does for the model (`base_model.model.<modulePrefix>layers.0.self_attn.q_proj.lora_A.weight`).
 */

import type { LoraTrainingSettings } from '../../finetune/train/training-settings.ts';
import type { PeftAdapter } from '../../models/adapters/peft-adapter.ts';

const TENSOR_NAME = /^base_model\.model\.(.+)\.lora_(A|B)\.weight$/;

export interface TrainedTensors {
  parameters: Readonly<Record<string, Float32Array>>;
  shapes: Readonly<Record<string, readonly number[]>>;
}

export function trainedPeftAdapter(
  trained: TrainedTensors,
  settings: Pick<LoraTrainingSettings, 'rank' | 'alpha' | 'dropout' | 'targets'>,
  baseModel: string,
): PeftAdapter {
  const modules = new Map<string, { A?: string; B?: string }>();
  for (const name of Object.keys(trained.parameters)) {
    const match = TENSOR_NAME.exec(name);
    if (!match) throw new Error(`training produced "${name}", which is not a PEFT LoRA tensor name`);
    const pair = modules.get(match[1]) ?? {};
    pair[match[2] as 'A' | 'B'] = name;
    modules.set(match[1], pair);
  }
  return {
    config: {
      rank: settings.rank,
      alpha: settings.alpha,
      dropout: settings.dropout,
      targetModules: [...settings.targets],
      baseModel,
      taskType: 'CAUSAL_LM',
      useRslora: false,
      rankPattern: {},
      alphaPattern: {},
      extra: {},
    },
    modules: [...modules].map(([name, pair]) => {
      if (!pair.A || !pair.B) throw new Error(`training produced only one of lora_A/lora_B for ${name}`);
      const [rank, inFeatures] = trained.shapes[pair.A];
      return {
        name,
        rank,
        alpha: settings.alpha,
        inFeatures,
        outFeatures: trained.shapes[pair.B][0],
        loraA: trained.parameters[pair.A],
        loraB: trained.parameters[pair.B],
      };
    }),
  };
}
