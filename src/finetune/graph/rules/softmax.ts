/**
 * Softmax and LogSoftmax along one axis (opset 13+ semantics).
 * Softmax y: dx = y ⊙ (g − Σ g⊙y). LogSoftmax y: dx = g − exp(y) ⊙ Σ g.
 */

import { intAttribute } from '../node-attributes.ts';
import type { OperatorRule } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { sameShape } from './elementwise-unary.ts';

const softmax: OperatorRule = {
  inferShapes: sameShape,
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    const y = step.node.outputs[0];
    const axis = context.int64s([intAttribute(step.node, 'axis', -1)]);
    const dot = context.op('ReduceSum', [context.op('Mul', [gradient, y]), axis], { keepdims: 1 });
    return [context.op('Mul', [y, context.op('Sub', [gradient, dot])])];
  },
};

const logSoftmax: OperatorRule = {
  inferShapes: sameShape,
  backward: (step, context) => {
    const gradient = onlyGradient(step);
    const y = step.node.outputs[0];
    const axis = context.int64s([intAttribute(step.node, 'axis', -1)]);
    const total = context.op('ReduceSum', [gradient, axis], { keepdims: 1 });
    return [context.op('Sub', [gradient, context.op('Mul', [context.op('Exp', [y]), total])])];
  },
};

export const softmaxRules: Readonly<Record<string, OperatorRule>> = { Softmax: softmax, LogSoftmax: logSoftmax };
