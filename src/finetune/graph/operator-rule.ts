/**
 * What the gradient builder knows about one ONNX operator: how to infer its output shapes, and
 * (for differentiable operators) how to emit the nodes of its vector–Jacobian product.
 */
import type { Attribute, NodeData } from '../../onnx/model-proto.ts';
import type { ElementType, TensorValue } from '../../onnx/tensor.ts';
import type { Dim, ValueShape } from './value-shape.ts';

export interface ShapeContext {
  /** Type and dims of a value defined before the node; throws when unknown. */
  shape(value: string): ValueShape;
  /** The value of an initializer, for constant inputs such as shapes, axes and exponents. */
  constantValue(value: string): TensorValue | undefined;
  /** A new dim name for a size known only at run time. */
  freshUnknownDim(): Dim;
}

export interface BackwardContext extends ShapeContext {
  /** Emits one node with a fresh output name (GraphBuilder.op). */
  op(opType: string, inputs: readonly string[], attributes?: Readonly<Record<string, AttributeValue>>): string;
  /** Emits a node with several fresh outputs. */
  ops(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes?: Readonly<Record<string, AttributeValue>>,
  ): string[];
  /** A scalar constant of the given element type (shared between uses). */
  scalar(value: number, type: ElementType): string;
  /** A 1-D int64 constant (shared between uses). */
  int64s(values: readonly number[]): string;
  /** A float constant with explicit dims and values. */
  floats(values: readonly number[], dims: readonly number[], type: ElementType): string;
  /** A 1-D int64 tensor holding a forward value's shape: a constant when static, else a Shape node. */
  shapeTensor(value: string): string;
  /** An int64 scalar holding one dim of a forward value. */
  dimTensor(value: string, axis: number): string;
  /** Sums a gradient of shape `from` back to `to`, the operand shape that was broadcast to `from`. */
  reduceToShape(gradient: string, from: readonly Dim[], to: readonly Dim[]): string;
  /** Zeros with a forward value's shape and type. */
  zerosLike(value: string): string;
  /** A forward value, readable only once `gradient` exists (orders a recomputation; see BackwardEmitter). */
  waitingView(value: string, gradient: string): string;
}

/** Numbers are inferred (integer → INT); pass an `Attribute` (`attribute.float(…)`) for a whole float. */
export type AttributeValue = number | string | readonly number[] | TensorValue | Attribute;

export interface BackwardStep {
  readonly node: NodeData;
  /** The loss gradient of each output; undefined where the output does not reach the loss. */
  readonly outputGradients: readonly (string | undefined)[];
  /** Which inputs need a gradient (on a path from a trainable value to the loss). */
  readonly needs: readonly boolean[];
}

export interface OperatorRule {
  inferShapes(node: NodeData, context: ShapeContext): ValueShape[];
  /** Outputs that no gradient can flow through (shapes, sizes, comparisons, constants made from a shape). */
  discrete?: true;
  /** Input gradients, one slot per input; only slots in `needs` must be filled. Absent: not differentiable. */
  backward?(step: BackwardStep, context: BackwardContext): (string | undefined)[];
}

/** The single output gradient of a one-output operator. */
export function onlyGradient(step: BackwardStep): string {
  const gradient = step.outputGradients[0];
  if (!gradient) throw new Error(`${step.node.opType}: backward called without an output gradient`);
  return gradient;
}
