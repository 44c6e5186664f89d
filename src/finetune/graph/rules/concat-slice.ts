/**
 * Concat, Split and Slice (step 1, constant bounds): the pieces of a rotary "rotate half" and of
 * matrices multiplied in chunks. Concat's gradient splits the output gradient at the inputs'
 * offsets; Split's concatenates the pieces' gradients; Slice's pads the gradient with zeros back
 * to the input's size.
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { intAttribute, tensorNumbers } from '../node-attributes.ts';
import type { OperatorRule, ShapeContext } from '../operator-rule.ts';
import { onlyGradient } from '../operator-rule.ts';
import { type Dim, dimsText, normalizeAxis } from '../value-shape.ts';

const concat: OperatorRule = {
  inferShapes: (node, context) => {
    const shapes = node.inputs.map((input) => context.shape(input));
    const rank = shapes[0].dims.length;
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), rank);
    const sizes = shapes.map((shape) => shape.dims[axis]);
    const joined: Dim = sizes.every((size) => typeof size === 'number')
      ? (sizes as number[]).reduce((sum, size) => sum + size, 0)
      : context.freshUnknownDim();
    const dims = [...shapes[0].dims];
    dims[axis] = joined;
    return [{ type: shapes[0].type, dims }];
  },
  backward: (step, context) => {
    const { node } = step;
    const rank = context.shape(node.inputs[0]).dims.length;
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), rank);
    const sizes = node.inputs.map((input) => {
      const size = context.shape(input).dims[axis];
      if (typeof size !== 'number') throw new Error(`Concat gradient needs fixed sizes along axis ${axis}`);
      return size;
    });
    const pieces = context.ops('Split', [onlyGradient(step), context.int64s(sizes)], sizes.length, { axis });
    return pieces.map((piece, index) => (step.needs[index] ? piece : undefined));
  },
};

interface SliceBounds {
  /** Per input axis: the first kept index and the kept count, both clamped like ONNX does. */
  starts: number[];
  counts: Dim[];
}

function constantNumbers(node: NodeData, index: number, context: ShapeContext): number[] | undefined {
  const name = node.inputs[index];
  if (!name) return undefined;
  const constant = context.constantValue(name);
  if (!constant) throw new Error(`Slice: input ${index} must be a constant (initializer)`);
  return tensorNumbers(constant);
}

function sliceBounds(node: NodeData, context: ShapeContext): SliceBounds {
  const dims = context.shape(node.inputs[0]).dims;
  const starts = constantNumbers(node, 1, context)!;
  const ends = constantNumbers(node, 2, context)!;
  const axes = constantNumbers(node, 3, context) ?? starts.map((_, index) => index);
  const steps = constantNumbers(node, 4, context) ?? starts.map(() => 1);
  const bounds: SliceBounds = { starts: dims.map(() => 0), counts: [...dims] };
  axes.forEach((rawAxis, index) => {
    const axis = normalizeAxis(rawAxis, dims.length);
    if (steps[index] !== 1) throw new Error(`Slice with step ${steps[index]} is not supported yet`);
    const dim = dims[axis];
    if (typeof dim !== 'number') {
      // A symbolic axis is fine only when the slice keeps all of it.
      if (starts[index] === 0 && ends[index] >= 2 ** 31 - 1) return;
      throw new Error(`Slice of the symbolic axis ${axis} (${dimsText(dims)}) is not supported yet`);
    }
    const clamp = (value: number) => Math.min(Math.max(value < 0 ? value + dim : value, 0), dim);
    const start = clamp(starts[index]);
    bounds.starts[axis] = start;
    bounds.counts[axis] = Math.max(0, clamp(ends[index]) - start);
  });
  return bounds;
}

const slice: OperatorRule = {
  inferShapes: (node, context) => [
    { type: context.shape(node.inputs[0]).type, dims: sliceBounds(node, context).counts },
  ],
  backward: (step, context) => {
    const [input] = step.node.inputs;
    const dims = context.shape(input).dims;
    const { starts, counts } = sliceBounds(step.node, context);
    const after = dims.map((dim, axis) =>
      typeof dim === 'number' ? dim - starts[axis] - (counts[axis] as number) : 0,
    );
    return [context.op('Pad', [onlyGradient(step), context.int64s([...starts, ...after])])];
  },
};

/** Split along one axis by constant sizes: the gradient concatenates the pieces' gradients (zeros for unused ones). */
const split: OperatorRule = {
  inferShapes: (node, context) => {
    const input = context.shape(node.inputs[0]);
    const axis = normalizeAxis(intAttribute(node, 'axis', 0), input.dims.length);
    const sizes = constantNumbers(node, 1, context);
    if (!sizes) throw new Error('Split: the sizes must be a constant input');
    return sizes.map((size) => {
      const dims = [...input.dims];
      dims[axis] = size;
      return { type: input.type, dims };
    });
  },
  backward: (step, context) => {
    const axis = normalizeAxis(intAttribute(step.node, 'axis', 0), context.shape(step.node.inputs[0]).dims.length);
    const pieces = step.node.outputs.map((output, index) => step.outputGradients[index] ?? context.zerosLike(output));
    return [context.op('Concat', pieces, { axis }), undefined];
  },
};

export const concatSliceRules: Readonly<Record<string, OperatorRule>> = { Concat: concat, Slice: slice, Split: split };
