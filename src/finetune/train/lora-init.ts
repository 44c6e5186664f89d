/**
 * Initial LoRA tensors as PEFT makes them: A from kaiming_uniform(a = √5), i.e. uniform in
 * ±1/√in_features, and B zeros, so the adapted model starts equal to the base model. Seeded with
 * our generator (PyTorch's RNG stream is not reproduced).
 */
import type { TrainableTensor } from '../model/graph-context.ts';
import { uniformFloat32 } from '../random.ts';

export function initialLoraTensors(trainable: readonly TrainableTensor[], seed: number): Record<string, Float32Array> {
  const tensors: Record<string, Float32Array> = {};
  for (const { name, dims } of trainable) {
    const count = dims.reduce((product, dim) => product * dim, 1);
    if (name.endsWith('lora_A.weight')) tensors[name] = uniformFloat32(seed, name, count, 1 / Math.sqrt(dims[1]));
    else if (name.endsWith('lora_B.weight')) tensors[name] = new Float32Array(count);
    else throw new Error(`"${name}" is not a LoRA tensor`);
  }
  return tensors;
}
