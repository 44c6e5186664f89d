/**
 * Where a decoder's frozen weights and LoRA tensors come from, by Hugging Face/PEFT name and in
 * their layout ([out, in] for linear weights). Tests use seeded random weights that
 * `tools/reference/finetune_block.py` regenerates bit for bit; later sources read safetensors.
 */
import { uniformValues } from '../random.ts';

export type WeightSource = (name: string, dims: readonly number[]) => Float32Array;

/**
 * Seeded weights with activations of order 1: linear weights uniform ±1/√fan_in, norm weights
 * 1 ± 0.2, embeddings ±1, biases ±0.1, and LoRA B ±0.2 (PEFT starts B at zero; a gradient check
 * needs it non-zero so that A gets a gradient).
 */
export function randomWeights(seed: number): WeightSource {
  return (name, dims) => {
    const count = dims.reduce((product, dim) => product * dim, 1);
    const unit = uniformValues(seed, name, count);
    const scaled = (transform: (value: number) => number) => Float32Array.from(unit, transform);
    if (name.endsWith('norm.weight')) return scaled((value) => 1 + 0.2 * value);
    if (name.endsWith('embed_tokens.weight')) return scaled((value) => value);
    if (name.endsWith('.bias')) return scaled((value) => 0.1 * value);
    if (name.endsWith('lora_B.weight')) return scaled((value) => 0.2 * value);
    const scale = 1 / Math.sqrt(dims[dims.length - 1]);
    return scaled((value) => value * scale);
  };
}
