/**
 * Element type and dimensions of a graph value, as the gradient builder tracks them. A dimension is
 * a number, a symbolic name the user gave (`batch_size`), or an unknown size the inference could not
 * name (a string starting with `?`). Broadcasting treats symbolic names as "not 1".
 */
import type { Dim } from '../../onnx/model-proto.ts';
import type { ElementType } from '../../onnx/tensor.ts';

export type { Dim };

export interface ValueShape {
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

const FLOAT_TYPES: ReadonlySet<ElementType> = new Set(['float32', 'float64', 'float16']);

export function isFloatType(type: ElementType): boolean {
  return FLOAT_TYPES.has(type);
}

export function isUnknownDim(dim: Dim): boolean {
  return typeof dim === 'string' && dim.startsWith('?');
}

/** The dims as numbers when every one is fixed. */
export function staticDims(dims: readonly Dim[]): number[] | undefined {
  return dims.every((dim) => typeof dim === 'number') ? (dims as number[]) : undefined;
}

export function dimsText(dims: readonly Dim[]): string {
  return `[${dims.join(', ')}]`;
}

/** A possibly negative axis as an index in `0..rank-1`. */
export function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(normalized) || normalized < 0 || normalized >= rank) {
    throw new RangeError(`axis ${axis} is outside rank ${rank}`);
  }
  return normalized;
}

/** Numpy-style broadcast of several shapes (ONNX multidirectional broadcasting). */
export function broadcastDims(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result: Dim[] = [];
  for (let axis = 0; axis < rank; axis++) {
    let chosen: Dim = 1;
    for (const shape of shapes) {
      const dim = shape[axis - (rank - shape.length)];
      if (dim !== undefined) chosen = broadcastPair(chosen, dim, shapes);
    }
    result.push(chosen);
  }
  return result;
}

function broadcastPair(left: Dim, right: Dim, shapes: readonly (readonly Dim[])[]): Dim {
  if (left === 1) return right;
  if (right === 1 || left === right) return left;
  if (typeof left === 'number' && typeof right === 'number') {
    throw new RangeError(`shapes ${shapes.map(dimsText).join(' and ')} do not broadcast`);
  }
  // A symbolic size meeting a fixed one must equal it; a named size is more useful than an unknown one.
  if (typeof left === 'number') return left;
  if (typeof right === 'number') return right;
  return isUnknownDim(left) ? right : left;
}

/**
 * The axes a gradient of shape `from` must be summed over to come back to an operand of shape `to`
 * that was broadcast to `from`: the extra leading axes, and the axes where `to` has a 1.
 */
export function broadcastAxes(from: readonly Dim[], to: readonly Dim[]): { leading: number[]; ones: number[] } {
  const offset = from.length - to.length;
  if (offset < 0) throw new RangeError(`shape ${dimsText(to)} cannot be a broadcast source of ${dimsText(from)}`);
  const leading = Array.from({ length: offset }, (_, axis) => axis);
  const ones: number[] = [];
  to.forEach((dim, axis) => {
    if (dim === 1 && from[axis + offset] !== 1) ones.push(axis + offset);
  });
  return { leading, ones };
}
