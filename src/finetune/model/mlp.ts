/** The SiLU-gated MLP of Llama/Qwen2: down(silu(gate(x)) · up(x)), silu(z) = z·σ(z). */
import type { DecoderConfig, LoraConfig, LoraTarget } from './decoder-config.ts';
import { projectionName, projectionShapes } from './decoder-config.ts';
import type { DecoderGraphContext } from './graph-context.ts';
import { linear } from './lora-linear.ts';

export function gatedMlp(
  context: DecoderGraphContext,
  config: DecoderConfig,
  layer: number,
  hidden: string,
  lora: LoraConfig | undefined,
): string {
  const { graph } = context;
  const shapes = projectionShapes(config);
  const project = (target: LoraTarget, input: string) =>
    linear(context, input, {
      name: projectionName(layer, target),
      outFeatures: shapes[target][0],
      inFeatures: shapes[target][1],
      bias: false,
      lora: lora?.targets.includes(target) ? lora : undefined,
    });
  const gate = project('gate_proj', hidden);
  const sigmoid = graph.op('Sigmoid', [gate]);
  const activated = graph.op('Mul', [gate, sigmoid]);
  // Training keeps gate and up for the backward pass and recomputes these two from gate: each is
  // as wide as the MLP, and recomputing costs one elementwise pass.
  context.recomputed.add(sigmoid).add(activated);
  return project('down_proj', graph.op('Mul', [activated, project('up_proj', hidden)]));
}
