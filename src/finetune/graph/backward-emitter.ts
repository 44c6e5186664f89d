/**
 * The BackwardContext the rules write through: emits nodes into the graph and shares small
 * constants (scalars, axes, static shapes) so the training graph does not fill up with copies.
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import type { ElementType, TensorValue } from '../../onnx/tensor.ts';
import { int64Tensor, tensor } from '../../onnx/tensor.ts';
import type { AttributeValue, BackwardContext } from './operator-rule.ts';
import type { ShapeTable } from './shape-table.ts';
import { broadcastAxes, type Dim, staticDims, type ValueShape } from './value-shape.ts';

export class BackwardEmitter implements BackwardContext {
  private readonly cache = new Map<string, string>();
  /** Backward copies of forward values (recomputations) → the forward value, for shapes. */
  private readonly aliases = new Map<string, string>();

  constructor(
    private readonly graph: GraphBuilder,
    private readonly shapes: ShapeTable,
  ) {}

  shape(value: string): ValueShape {
    return this.shapes.shape(this.aliases.get(value) ?? value);
  }

  constantValue(value: string): TensorValue | undefined {
    return this.shapes.constantValue(this.aliases.get(value) ?? value);
  }

  /** Declares `copy` a backward recomputation of the forward value `original`. */
  alias(copy: string, original: string): void {
    this.aliases.set(copy, original);
  }

  /**
   * `value` through a Reshape to its own shape that also reads an empty slice of `gradient`'s
   * shape: the same data, available only once `gradient` exists.
   */
  waitingView(value: string, gradient: string): string {
    return this.shared(`waiting:${value}:${gradient}`, () => {
      const gradientShapeSlice = this.graph.op('Shape', [gradient], { start: 0, end: 0 });
      const target = this.graph.op('Concat', [this.shapeTensor(value), gradientShapeSlice], { axis: 0 });
      const view = this.graph.op('Reshape', [value, target]);
      this.alias(view, value);
      return view;
    });
  }

  freshUnknownDim(): Dim {
    return this.shapes.freshUnknownDim();
  }

  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): string {
    return this.graph.op(opType, inputs, attributes);
  }

  ops(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: Readonly<Record<string, AttributeValue>> = {},
  ): string[] {
    return this.graph.node(opType, inputs, count, attributes);
  }

  scalar(value: number, type: ElementType): string {
    return this.shared(`scalar:${type}:${value}`, () => this.makeFloat([value], [], type, 'grad_scalar'));
  }

  int64s(values: readonly number[]): string {
    return this.shared(`int64:${values.join(',')}`, () => this.graph.constant(int64Tensor(values), 'grad_ints'));
  }

  floats(values: readonly number[], dims: readonly number[], type: ElementType): string {
    return this.makeFloat(values, dims, type, 'grad_const');
  }

  shapeTensor(value: string): string {
    const { dims } = this.shape(value);
    const known = staticDims(dims);
    if (known) return this.int64s(known);
    if (dims.every((dim) => typeof dim === 'number' || this.inputDeclaring(dim))) {
      return this.shared(`dims:${dims.join(',')}`, () => {
        const pieces = dims.map((dim) => (typeof dim === 'number' ? this.int64s([dim]) : this.namedDim(dim)!));
        return this.graph.op('Concat', pieces, { axis: 0 });
      });
    }
    return this.shared(`shape:${value}`, () => this.graph.op('Shape', [value]));
  }

  /**
   * A symbolic dim (batch, sequence) read from a graph input that declares it, as a 1-element
   * tensor. A Shape node on the forward value itself would keep that value alive until the
   * backward pass reaches it; graph inputs live through the whole run anyway.
   */
  private namedDim(dim: string): string | undefined {
    const source = this.inputDeclaring(dim);
    if (!source) return undefined;
    const axis = source.dims!.indexOf(dim);
    return this.shared(`named-dim:${dim}`, () => this.graph.op('Shape', [source.name], { start: axis, end: axis + 1 }));
  }

  dimTensor(value: string, axis: number): string {
    const dim = this.shape(value).dims[axis];
    if (typeof dim === 'number') {
      return this.shared(`int64-scalar:${dim}`, () => this.graph.constant(int64Tensor([dim], []), 'grad_int'));
    }
    const named = this.namedDim(dim);
    if (named) return this.shared(`named-dim-scalar:${dim}`, () => this.graph.op('Squeeze', [named, this.int64s([0])]));
    return this.shared(`dim:${value}:${axis}`, () =>
      this.graph.op('Gather', [this.shapeTensor(value), this.graph.constant(int64Tensor([axis], []), 'grad_axis')], {
        axis: 0,
      }),
    );
  }

  reduceToShape(gradient: string, from: readonly Dim[], to: readonly Dim[]): string {
    const { leading, ones } = broadcastAxes(from, to);
    let result = gradient;
    if (ones.length > 0) result = this.op('ReduceSum', [result, this.int64s(ones)], { keepdims: 1 });
    if (leading.length > 0) result = this.op('ReduceSum', [result, this.int64s(leading)], { keepdims: 0 });
    return result;
  }

  zerosLike(value: string): string {
    const { type } = this.shape(value);
    const zero =
      type === 'float64' ? tensor('float64', new Float64Array(1), [1]) : tensor('float32', new Float32Array(1), [1]);
    if (type !== 'float64' && type !== 'float32') throw new TypeError(`zeros of type ${type} are not supported yet`);
    return this.op('ConstantOfShape', [this.shapeTensor(value)], { value: zero });
  }

  private makeFloat(values: readonly number[], dims: readonly number[], type: ElementType, prefix: string): string {
    if (type === 'float64') return this.graph.constant(tensor('float64', Float64Array.from(values), dims), prefix);
    if (type === 'float32') return this.graph.constant(tensor('float32', Float32Array.from(values), dims), prefix);
    throw new TypeError(`gradient constants of type ${type} are not supported yet`);
  }

  private inputDeclaring(dim: string) {
    return this.graph.inputs.find((input) => input.dims?.includes(dim));
  }

  private shared(key: string, make: () => string): string {
    let name = this.cache.get(key);
    if (!name) {
      name = make();
      this.cache.set(key, name);
    }
    return name;
  }
}
