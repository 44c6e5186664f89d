/**
 * A linear projection y = x·Wᵀ (+ b) with an optional LoRA update (alpha/r)·(x·Aᵀ)·Bᵀ, A [r, in]
 * and B [out, r] in PEFT's layout and naming (after the checkpoint's module names, so the adapter
 * loads in PEFT for the real model). The frozen W is stored pre-transposed for MatMul; A and B are
 * graph inputs. With LoRA dropout the branch reads x·mask instead of x, as PEFT's
 * `lora_B(lora_A(dropout(x)))` does: the mask (keep/(1 − p), one per module) is a graph input that
 * the trainer draws from a seeded generator, so runs are reproducible and the gradient is exact;
 * evaluation feeds ones.
 */
import type { LoraConfig } from './decoder-config.ts';
import { loraScale } from './decoder-config.ts';
import type { DecoderGraphContext } from './graph-context.ts';

export interface LinearOptions {
  /** Canonical Hugging Face module name, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  lora?: LoraConfig;
}

export function peftName(module: string, tensor: 'lora_A' | 'lora_B'): string {
  return `base_model.model.${module}.${tensor}.weight`;
}

export function linear(context: DecoderGraphContext, input: string, options: LinearOptions): string {
  const { graph } = context;
  let output = context.projection(options.name, input, [options.outFeatures, options.inFeatures]);
  if (options.bias) output = context.projectionBias(options.name, output, options.outFeatures);
  if (!options.lora) return output;

  const { rank } = options.lora;
  const module = context.moduleName(options.name);
  const down = context.trainableInput(peftName(module, 'lora_A'), [rank, options.inFeatures]);
  const up = context.trainableInput(peftName(module, 'lora_B'), [options.outFeatures, rank]);
  const branchInput =
    (options.lora.dropout ?? 0) > 0
      ? graph.op('Mul', [input, context.dropoutMask(options.name, options.inFeatures)])
      : input;
  const reduced = graph.op('MatMul', [branchInput, graph.op('Transpose', [down], { perm: [1, 0] })]);
  const update = graph.op('MatMul', [reduced, graph.op('Transpose', [up], { perm: [1, 0] })]);
  const scaled = graph.op('Mul', [update, context.scalar(loraScale(options.lora), 'lora_scale')]);
  return graph.op('Add', [output, scaled]);
}
