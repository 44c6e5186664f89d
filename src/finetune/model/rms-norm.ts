/** RMSNorm as Llama and Qwen2 define it: x / √(mean(x²) + ε) · weight, over the last axis. */
import type { DecoderGraphContext } from './graph-context.ts';

export function rmsNorm(
  context: DecoderGraphContext,
  input: string,
  name: string,
  size: number,
  epsilon: number,
): string {
  const { graph } = context;
  const meanSquare = graph.op('ReduceMean', [graph.op('Pow', [input, context.scalar(2, 'two')])], {
    axes: [-1],
    keepdims: 1,
  });
  const inverseRoot = graph.op('Reciprocal', [
    graph.op('Sqrt', [graph.op('Add', [meanSquare, context.scalar(epsilon, 'rms_eps')])]),
  ]);
  return graph.op('Mul', [graph.op('Mul', [input, inverseRoot]), context.frozen(`${name}.weight`, [size])]);
}
