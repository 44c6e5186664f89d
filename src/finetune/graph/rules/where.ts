/**
 * Where(condition, x, y): the gradient goes to x where the condition holds and to y elsewhere
 * (masking with constants, e.g. a causal mask), summed back over broadcast axes.
 */
import type { OperatorRule } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { broadcastDims } from '../value-shape.ts';

const where: OperatorRule = {
  inferShapes: (node, context) => [
    {
      type: context.shape(node.inputs[1]).type,
      dims: broadcastDims(node.inputs.map((input) => context.shape(input).dims)),
    },
  ],
  backward: (step, context) => {
    const [condition, whenTrue, whenFalse] = step.node.inputs;
    const gradient = onlyGradient(step);
    const outputDims = context.shape(step.node.outputs[0]).dims;
    const zero = context.scalar(0, context.shape(whenTrue).type);
    const routed = (value: string, selected: string) =>
      context.reduceToShape(selected, outputDims, context.shape(value).dims);
    return [
      undefined,
      step.needs[1] ? routed(whenTrue, context.op('Where', [condition, gradient, zero])) : undefined,
      step.needs[2] ? routed(whenFalse, context.op('Where', [condition, zero, gradient])) : undefined,
    ];
  },
};

export const whereRules: Readonly<Record<string, OperatorRule>> = { Where: where };
