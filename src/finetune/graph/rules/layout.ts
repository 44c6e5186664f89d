/**
 * Operators that move or repeat elements without arithmetic: Transpose, Reshape, Unsqueeze,
 * Squeeze, Expand. Their gradients undo the layout change (Expand sums over repeated axes).
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { intAttribute, intsAttribute, tensorNumbers } from '../node-attributes.ts';
import type { OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { broadcastDims, type Dim, normalizeAxis } from '../value-shape.ts';
import { reshapeDims } from './reshape-dims.ts';

function transposePerm(node: NodeData, rank: number): number[] {
  return intsAttribute(node, 'perm') ?? Array.from({ length: rank }, (_, axis) => rank - 1 - axis);
}

/** Axes from the `axes` input (opset 13+) or attribute (older graphs). */
function axesOf(node: NodeData, context: ShapeContext): number[] | undefined {
  const attribute = intsAttribute(node, 'axes');
  if (attribute) return attribute;
  if (!node.inputs[1]) return undefined;
  const constant = context.constantValue(node.inputs[1]);
  if (!constant) throw new Error(`${node.opType}: axes must be a constant (initializer)`);
  return tensorNumbers(constant);
}

function constantInput(node: NodeData, index: number, context: ShapeContext): number[] | undefined {
  const constant = context.constantValue(node.inputs[index]);
  return constant ? tensorNumbers(constant) : undefined;
}

const transpose: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    return [{ type: input.type, dims: transposePerm(node, input.dims.length).map((axis) => input.dims[axis]) }];
  },
  backward: (step, context) => {
    const perm = transposePerm(step.node, context.shape(step.node.inputs[0]).dims.length);
    const inverse = new Array<number>(perm.length);
    perm.forEach((axis, position) => {
      inverse[axis] = position;
    });
    return [context.op('Transpose', [onlyGradient(step)], { perm: inverse })];
  },
};

/** Layout changes whose gradient is the output gradient reshaped back to the input's shape. */
const backToInputShape: OperatorRule['backward'] = (step, context) => [
  context.op('Reshape', [onlyGradient(step), context.shapeTensor(step.node.inputs[0])]),
];

const reshape: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    const target = constantInput(node, 1, context);
    if (!target) {
      const [length] = context.shape(node.inputs[1]).dims;
      if (typeof length !== 'number') throw new Error('Reshape: the target shape has an unknown length');
      return [{ type: input.type, dims: Array.from({ length }, () => context.freshUnknownDim()) }];
    }
    const allowZero = intAttribute(node, 'allowzero', 0) === 1;
    return [{ type: input.type, dims: reshapeDims(input.dims, target, allowZero, () => context.freshUnknownDim()) }];
  },
  backward: backToInputShape,
};

const unsqueeze: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    const axes = axesOf(node, context) ?? [];
    const rank = input.dims.length + axes.length;
    const inserted = new Set(axes.map((axis) => normalizeAxis(axis, rank)));
    const dims: Dim[] = [];
    let next = 0;
    for (let axis = 0; axis < rank; axis++) dims.push(inserted.has(axis) ? 1 : input.dims[next++]);
    return [{ type: input.type, dims }];
  },
  backward: backToInputShape,
};

const squeeze: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    const axes = axesOf(node, context);
    const removed = axes
      ? new Set(axes.map((axis) => normalizeAxis(axis, input.dims.length)))
      : new Set(input.dims.flatMap((dim, axis) => (dim === 1 ? [axis] : [])));
    return [{ type: input.type, dims: input.dims.filter((_, axis) => !removed.has(axis)) }];
  },
  backward: backToInputShape,
};

const expand: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    const target = constantInput(node, 1, context);
    if (target) return [{ type: input.type, dims: broadcastDims([input.dims, target]) }];
    const [length] = context.shape(node.inputs[1]).dims;
    if (typeof length !== 'number') throw new Error('Expand: the target shape has an unknown length');
    const unknown = Array.from({ length }, () => context.freshUnknownDim());
    return [{ type: input.type, dims: broadcastDims([input.dims, unknown]) }];
  },
  backward: (step, context) => {
    const [input] = step.node.inputs;
    const outputDims = context.shape(step.node.outputs[0]).dims;
    return [context.reduceToShape(onlyGradient(step), outputDims, context.shape(input).dims)];
  },
};

export const layoutRules: Readonly<Record<string, OperatorRule>> = {
  Transpose: transpose,
  Reshape: reshape,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Expand: expand,
};
