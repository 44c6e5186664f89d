/**
 * The arithmetic of applying LoRA to an exported weight. ONNX exports keep a linear layer's weight
 * transposed, `[in, out]` (the graph computes `x·W`), while PEFT's `lora_A` is `[r, in]` and
 * `lora_B` is `[out, r]`; so the merged weight is `W + scale·(B·A)ᵀ = W + scale·Aᵀ·Bᵀ`, and the side
 * path is `x·Aᵀ` then `·(scale·Bᵀ)`.
 */
import type { LoraModule } from './peft-adapter.ts';

/** `W[in, out] += scale·Aᵀ·Bᵀ`, in place, accumulated in double precision per element. */
export function mergeIntoTransposedWeight(weight: Float32Array, module: LoraModule, scale: number): void {
  const { rank, inFeatures, outFeatures, loraA, loraB } = module;
  if (weight.length !== inFeatures * outFeatures) {
    throw new RangeError(`weight has ${weight.length} values, not ${inFeatures}×${outFeatures}`);
  }
  const column = new Float64Array(rank);
  for (let input = 0; input < inFeatures; input++) {
    for (let k = 0; k < rank; k++) column[k] = loraA[k * inFeatures + input] * scale;
    const row = input * outFeatures;
    for (let output = 0; output < outFeatures; output++) {
      let sum = 0;
      const base = output * rank;
      for (let k = 0; k < rank; k++) sum += column[k] * loraB[base + k];
      weight[row + output] += sum;
    }
  }
}

/** `Aᵀ`, [in, r]: the side path's first matrix. */
export function transposedA(module: LoraModule): Float32Array {
  const { rank, inFeatures, loraA } = module;
  const out = new Float32Array(inFeatures * rank);
  for (let k = 0; k < rank; k++) {
    for (let input = 0; input < inFeatures; input++) out[input * rank + k] = loraA[k * inFeatures + input];
  }
  return out;
}

/** `scale·Bᵀ`, [r, out]: the side path's second matrix, with the scale folded in. */
export function scaledTransposedB(module: LoraModule, scale: number): Float32Array {
  const { rank, outFeatures, loraB } = module;
  const out = new Float32Array(rank * outFeatures);
  for (let output = 0; output < outFeatures; output++) {
    for (let k = 0; k < rank; k++) out[k * outFeatures + output] = scale * loraB[output * rank + k];
  }
  return out;
}
