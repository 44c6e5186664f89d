/**
 * One-input elementwise operators. Where the derivative is easiest in terms of the output y
 * (sigmoid, tanh, sqrt, exp, reciprocal), the rule reads the forward output instead of recomputing.
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { codeOfElementType, elementTypeOfCode, intAttribute } from '../node-attributes.ts';
import type { BackwardContext, OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { isFloatType, type ValueShape } from '../value-shape.ts';

export function sameShape(node: NodeData, context: ShapeContext): ValueShape[] {
  return [context.shape(node.inputs[0])];
}

/** A rule whose gradient is `g · f(x, y, context)` for the single input x and output y. */
function unary(
  derivativeTimes: (gradient: string, x: string, y: string, context: BackwardContext) => string,
): OperatorRule {
  return {
    inferShapes: sameShape,
    backward: (step, context) => [
      derivativeTimes(onlyGradient(step), step.node.inputs[0], step.node.outputs[0], context),
    ],
  };
}

/** 1 − value, where `like` is a forward value of the same element type. */
const oneMinus = (value: string, like: string, context: BackwardContext) =>
  context.op('Sub', [context.scalar(1, context.shape(like).type), value]);

const cast: OperatorRule = {
  inferShapes: (node, context) => [
    { type: elementTypeOfCode(intAttribute(node, 'to', 1)), dims: context.shape(node.inputs[0]).dims },
  ],
  backward: (step, context) => {
    const source = context.shape(step.node.inputs[0]).type;
    const target = context.shape(step.node.outputs[0]).type;
    if (!isFloatType(source) || !isFloatType(target)) {
      throw new Error(`Cast from ${source} to ${target} is not differentiable`);
    }
    return [
      source === target
        ? onlyGradient(step)
        : context.op('Cast', [onlyGradient(step)], { to: codeOfElementType(source) }),
    ];
  },
};

export const elementwiseUnaryRules: Readonly<Record<string, OperatorRule>> = {
  Identity: unary((gradient) => gradient),
  Neg: unary((gradient, _x, _y, context) => context.op('Neg', [gradient])),
  // y = √x: dy/dx = 1 / (2y).
  Sqrt: unary((gradient, _x, y, context) =>
    context.op('Div', [context.op('Mul', [gradient, context.scalar(0.5, context.shape(y).type)]), y]),
  ),
  // y = 1/x: dy/dx = −y².
  Reciprocal: unary((gradient, _x, y, context) =>
    context.op('Neg', [context.op('Mul', [gradient, context.op('Mul', [y, y])])]),
  ),
  // y = σ(x): dy/dx = y(1 − y).
  Sigmoid: unary((gradient, _x, y, context) =>
    context.op('Mul', [gradient, context.op('Mul', [y, oneMinus(y, y, context)])]),
  ),
  // y = tanh x: dy/dx = 1 − y².
  Tanh: unary((gradient, _x, y, context) =>
    context.op('Mul', [gradient, oneMinus(context.op('Mul', [y, y]), y, context)]),
  ),
  Exp: unary((gradient, _x, y, context) => context.op('Mul', [gradient, y])),
  Log: unary((gradient, x, _y, context) => context.op('Div', [gradient, x])),
  Cast: cast,
};
