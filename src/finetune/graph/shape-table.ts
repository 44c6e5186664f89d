/**
 * Static shape inference over a forward graph: the element type and dims of every value, from the
 * graph's inputs and initializers through each node's rule. Values made by ops without a rule stay
 * unknown; asking for one names the node, so the error says which rule is missing.
 */

import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import type { NodeData } from '../../onnx/model-proto.ts';
import type { TensorValue } from '../../onnx/tensor.ts';
import type { OperatorRule, ShapeContext } from './operator-rule.ts';
import { type Dim, dimsText, type ValueShape } from './value-shape.ts';

export class ShapeTable implements ShapeContext {
  private readonly shapes = new Map<string, ValueShape>();
  private readonly constants = new Map<string, TensorValue>();
  /** Value → why its shape is unknown. */
  private readonly unknown = new Map<string, string>();
  private unknownCount = 0;

  constructor(graph: GraphBuilder, rules: ReadonlyMap<string, OperatorRule>) {
    for (const input of graph.inputs) {
      if (input.dims) this.shapes.set(input.name, { type: input.type, dims: input.dims });
      else this.unknown.set(input.name, `graph input "${input.name}" has no declared dims`);
    }
    for (const { name, value } of graph.initializers) {
      this.shapes.set(name, { type: value.type, dims: value.dims });
      this.constants.set(name, value);
    }
    for (const node of graph.nodes) this.inferNode(node, rules.get(node.opType));
  }

  has(value: string): boolean {
    return this.shapes.has(value);
  }

  shape(value: string): ValueShape {
    const shape = this.shapes.get(value);
    if (shape) return shape;
    throw new Error(`no shape known for "${value}": ${this.unknown.get(value) ?? 'it is not defined in the graph'}`);
  }

  constantValue(value: string): TensorValue | undefined {
    return this.constants.get(value);
  }

  freshUnknownDim(): Dim {
    this.unknownCount += 1;
    return `?${this.unknownCount}`;
  }

  private inferNode(node: NodeData, rule: OperatorRule | undefined): void {
    const label = `${node.opType} node "${node.name ?? node.outputs[0]}"`;
    if (!rule) {
      for (const output of node.outputs) this.unknown.set(output, `${label} has no shape rule`);
      return;
    }
    // Unknown shapes spread without failing: only a gradient rule that needs one reports it.
    const unknownInput = node.inputs.find((input) => input !== '' && !this.shapes.has(input));
    if (unknownInput !== undefined) {
      const reason = `${label} reads "${unknownInput}" (${this.unknown.get(unknownInput) ?? 'undefined'})`;
      for (const output of node.outputs) this.unknown.set(output, reason);
      return;
    }
    let shapes: ValueShape[];
    try {
      shapes = rule.inferShapes(node, this);
    } catch (error) {
      throw new Error(`shape inference failed at ${label}: ${(error as Error).message}`, { cause: error });
    }
    node.outputs.forEach((output, index) => {
      if (output === '') return;
      const shape = shapes[index];
      if (!shape) throw new Error(`shape inference at ${label} gave no shape for output ${index}`);
      this.shapes.set(output, shape);
    });
  }

  describe(value: string): string {
    const shape = this.shapes.get(value);
    return shape ? `${shape.type}${dimsText(shape.dims)}` : 'unknown';
  }
}
