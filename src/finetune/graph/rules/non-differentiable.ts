/**
 * Shape rules for operators that carry no gradient here: comparisons and logic (masks), shape
 * arithmetic, and the cos/sin tables of rotary embeddings (built from positions, never trained).
 * They let shapes flow through a forward graph; the builder refuses them on a gradient path.
 */
import type { NodeData } from '../../../onnx/model-proto.ts';
import { intAttribute, tensorAttribute, tensorNumbers } from '../node-attributes.ts';
import type { OperatorRule, ShapeContext } from '../operator-rule.ts';
import { broadcastDims, type Dim, type ValueShape } from '../value-shape.ts';
import { broadcastShape } from './elementwise-binary.ts';
import { sameShape } from './elementwise-unary.ts';

const booleanBroadcast = (node: NodeData, context: ShapeContext): ValueShape[] => [
  { type: 'bool', dims: broadcastDims(node.inputs.map((input) => context.shape(input).dims)) },
];

const shapeOnly = (inferShapes: OperatorRule['inferShapes']): OperatorRule => ({ inferShapes });
const discrete = (inferShapes: OperatorRule['inferShapes']): OperatorRule => ({ inferShapes, discrete: true });

const range: OperatorRule = {
  inferShapes: (node, context) => {
    const [start, limit, delta] = node.inputs.map((input) => context.constantValue(input));
    const type = context.shape(node.inputs[0]).type;
    if (start && limit && delta) {
      const [first, last, step] = [start, limit, delta].map((value) => tensorNumbers(value)[0]);
      return [{ type, dims: [Math.max(0, Math.ceil((last - first) / step))] }];
    }
    return [{ type, dims: [context.freshUnknownDim()] }];
  },
};

const constantOfShape: OperatorRule = {
  inferShapes: (node, context) => {
    const type = tensorAttribute(node, 'value')?.type ?? 'float32';
    const constant = context.constantValue(node.inputs[0]);
    if (constant) return [{ type, dims: tensorNumbers(constant) }];
    const [length] = context.shape(node.inputs[0]).dims;
    if (typeof length !== 'number') throw new Error('ConstantOfShape: the shape has an unknown length');
    return [{ type, dims: Array.from({ length }, (): Dim => context.freshUnknownDim()) }];
  },
};

export const nonDifferentiableRules: Readonly<Record<string, OperatorRule>> = {
  Equal: discrete(booleanBroadcast),
  Less: discrete(booleanBroadcast),
  LessOrEqual: discrete(booleanBroadcast),
  Greater: discrete(booleanBroadcast),
  GreaterOrEqual: discrete(booleanBroadcast),
  And: discrete(booleanBroadcast),
  Or: discrete(booleanBroadcast),
  Not: discrete(sameShape),
  Cos: shapeOnly(sameShape),
  Sin: shapeOnly(sameShape),
  Max: shapeOnly(broadcastShape),
  Min: shapeOnly(broadcastShape),
  Shape: discrete((node, context) => {
    // Opset 15+: dims start…end (negative counts from the end, clamped), by default all of them.
    const rank = context.shape(node.inputs[0]).dims.length;
    const bound = (value: number) => Math.min(Math.max(value < 0 ? value + rank : value, 0), rank);
    const length = bound(intAttribute(node, 'end', rank)) - bound(intAttribute(node, 'start', 0));
    return [{ type: 'int64', dims: [Math.max(0, length)] }];
  }),
  Size: discrete(() => [{ type: 'int64', dims: [] }]),
  Range: range,
  ConstantOfShape: constantOfShape,
};
