/**
 * Gather (axis 0: embedding lookup) and GatherElements (the label pick of a cross-entropy loss).
 * Their gradients scatter-add the output gradient into zeros of the data's shape, so repeated
 * indices accumulate.
 */

import { intAttribute } from '../node-attributes.ts';
import type { BackwardContext, OperatorRule } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { normalizeAxis } from '../value-shape.ts';

/** Indices as int64 with negative ones counted from the end of `data`'s axis. */
function nonNegativeIndices(indices: string, data: string, axis: number, context: BackwardContext): string {
  const asInt64 = context.shape(indices).type === 'int64' ? indices : context.op('Cast', [indices], { to: 7 });
  const zero = context.int64s([0]);
  const negative = context.op('Less', [asInt64, zero]);
  return context.op('Where', [negative, context.op('Add', [asInt64, context.dimTensor(data, axis)]), asInt64]);
}

const gather: OperatorRule = {
  inferShapes: (node, context) => {
    const data = context.shape(node.inputs[0]);
    const indices = context.shape(node.inputs[1]).dims;
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), data.dims.length);
    return [{ type: data.type, dims: [...data.dims.slice(0, axis), ...indices, ...data.dims.slice(axis + 1)] }];
  },
  backward: (step, context) => {
    const [data, indices] = step.node.inputs;
    const axis = normalizeAxis(intAttribute(step.node, 'axis', 0), context.shape(data).dims.length);
    if (axis !== 0) throw new Error(`Gather gradient along axis ${axis} is not supported yet (axis 0 is)`);
    // data[i] collects the gradient of every output position that read row i.
    const positions = context.op('Unsqueeze', [nonNegativeIndices(indices, data, 0, context), context.int64s([-1])]);
    return [
      context.op('ScatterND', [context.zerosLike(data), positions, onlyGradient(step)], { reduction: 'add' }),
      undefined,
    ];
  },
};

const gatherElements: OperatorRule = {
  inferShapes: (node, context) => [
    { type: context.shape(node.inputs[0]).type, dims: context.shape(node.inputs[1]).dims },
  ],
  backward: (step, context) => {
    const [data, indices] = step.node.inputs;
    const axis = normalizeAxis(intAttribute(step.node, 'axis', 0), context.shape(data).dims.length);
    const positions = nonNegativeIndices(indices, data, axis, context);
    return [
      context.op('ScatterElements', [context.zerosLike(data), positions, onlyGradient(step)], {
        axis,
        reduction: 'add',
      }),
      undefined,
    ];
  },
};

export const gatherRules: Readonly<Record<string, OperatorRule>> = { Gather: gather, GatherElements: gatherElements };
