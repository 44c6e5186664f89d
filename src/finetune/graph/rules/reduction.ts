/**
 * ReduceSum, ReduceMean and ReduceLogSumExp (axes as attribute, opset ≤ 17, or as input, ReduceSum
 * 13+ and the others 18+). The gradient spreads each reduced value's gradient back over the reduced
 * axes (Expand), divided by the count for the mean, weighted by the softmax for log-sum-exp.
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { codeOfElementType, intAttribute, intsAttribute, tensorNumbers } from '../node-attributes.ts';
import type { BackwardContext, OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { type Dim, normalizeAxis, type ValueShape } from '../value-shape.ts';

/** The normalized, sorted axes a reduce node reduces (all of them when none are given). */
export function reducedAxes(node: NodeData, context: ShapeContext): number[] {
  const rank = context.shape(node.inputs[0]).dims.length;
  let axes = intsAttribute(node, 'axes');
  if (!axes && node.inputs[1]) {
    const constant = context.constantValue(node.inputs[1]);
    if (!constant) throw new Error(`${node.opType}: axes must be a constant (initializer)`);
    axes = tensorNumbers(constant);
  }
  if (!axes || axes.length === 0) {
    if (intAttribute(node, 'noop_with_empty_axes', 0)) return [];
    return Array.from({ length: rank }, (_, axis) => axis);
  }
  return [...new Set(axes.map((axis) => normalizeAxis(axis, rank)))].sort((left, right) => left - right);
}

function reduceShape(node: NodeData, context: ShapeContext): ValueShape[] {
  const input = context.shape(node.inputs[0]);
  const axes = new Set(reducedAxes(node, context));
  const keep = intAttribute(node, 'keepdims', 1) === 1;
  const dims: Dim[] = [];
  input.dims.forEach((dim, axis) => {
    if (!axes.has(axis)) dims.push(dim);
    else if (keep) dims.push(1);
  });
  return [{ type: input.type, dims }];
}

function reduceRule(mean: boolean): OperatorRule {
  return {
    inferShapes: reduceShape,
    backward: (step, context) => {
      const { node } = step;
      const [input] = node.inputs;
      const axes = reducedAxes(node, context);
      const gradient = keptDims(onlyGradient(step), node, context);
      let spread = context.op('Expand', [gradient, context.shapeTensor(input)]);
      if (mean && axes.length > 0) {
        const { type, dims } = context.shape(input);
        const reducedDims = axes.map((axis) => dims[axis]);
        let scale: string;
        if (reducedDims.every((dim) => typeof dim === 'number')) {
          const count = (reducedDims as number[]).reduce((product, dim) => product * dim, 1);
          scale = context.scalar(1 / count, type);
        } else {
          // A symbolic reduced size: output size / input size, at run time.
          const typeCode = codeOfElementType(type);
          scale = context.op('Div', [
            context.op('Cast', [context.op('Size', [node.outputs[0]])], { to: typeCode }),
            context.op('Cast', [context.op('Size', [input])], { to: typeCode }),
          ]);
        }
        spread = context.op('Mul', [spread, scale]);
      }
      return [spread];
    },
  };
}

/** A reduced value with its reduced axes restored as 1s (it then broadcasts against the input). */
function keptDims(value: string, node: NodeData, context: BackwardContext): string {
  const axes = reducedAxes(node, context);
  if (axes.length === 0 || intAttribute(node, 'keepdims', 1) === 1) return value;
  return context.op('Unsqueeze', [value, context.int64s(axes)]);
}

/** y = log Σ exp(x): dx = g ⊙ exp(x − y), the softmax over the reduced axes. */
const reduceLogSumExp: OperatorRule = {
  inferShapes: reduceShape,
  backward: (step, context) => {
    const { node } = step;
    const softmax = context.op('Exp', [context.op('Sub', [node.inputs[0], keptDims(node.outputs[0], node, context)])]);
    return [context.op('Mul', [softmax, keptDims(onlyGradient(step), node, context)])];
  },
};

export const reductionRules: Readonly<Record<string, OperatorRule>> = {
  ReduceSum: reduceRule(false),
  ReduceMean: reduceRule(true),
  ReduceLogSumExp: reduceLogSumExp,
};
