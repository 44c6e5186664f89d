/**
 * Recomputation (activation checkpointing for cheap values): forward values that backward rules
 * would read, recomputed in the backward pass from their inputs instead of being kept alive from
 * the forward pass. Meant for elementwise values over wide tensors (the MLP's σ(gate) and SiLU),
 * whose recomputation costs one pass over memory while keeping them costs a full tensor per layer.
 *
 * A recomputation reads its forward inputs through a view that waits for the gradient of the node
 * being differentiated: that orders it just before its use, and makes it differ from the forward
 * node so that common-subexpression elimination cannot merge the two back together.
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import type { NodeData } from '../../onnx/model-proto.ts';
import type { BackwardEmitter } from './backward-emitter.ts';

export class Recomputation {
  private readonly producers = new Map<string, NodeData>();
  private readonly copies = new Map<string, string>();

  constructor(
    private readonly graph: GraphBuilder,
    forwardNodes: readonly NodeData[],
    private readonly values: ReadonlySet<string>,
    private readonly emitter: BackwardEmitter,
  ) {
    for (const node of forwardNodes) {
      for (const output of node.outputs) if (values.has(output)) this.producers.set(output, node);
    }
    for (const value of values) {
      const producer = this.producers.get(value);
      if (!producer) throw new Error(`"${value}" cannot be recomputed: no forward node makes it`);
      if (producer.outputs.length !== 1)
        throw new Error(`"${value}" cannot be recomputed: its node has several outputs`);
    }
  }

  /** `node` with every recomputed value it reads or makes replaced by its backward copy. */
  substitute(node: NodeData, gradient: string): NodeData {
    const rename = (value: string) => (this.values.has(value) ? this.copy(value, gradient) : value);
    if (!node.inputs.some((value) => this.values.has(value)) && !node.outputs.some((value) => this.values.has(value))) {
      return node;
    }
    return { ...node, inputs: node.inputs.map(rename), outputs: node.outputs.map(rename) };
  }

  private copy(value: string, gradient: string): string {
    const known = this.copies.get(value);
    if (known) return known;
    const producer = this.producers.get(value)!;
    const inputs = producer.inputs.map((input) => {
      if (this.values.has(input)) return this.copy(input, gradient);
      return this.emitter.constantValue(input) ? input : this.emitter.waitingView(input, gradient);
    });
    const attributes = Object.fromEntries(producer.attributes.map(({ name, attribute }) => [name, attribute]));
    const copy = this.graph.op(producer.opType, inputs, attributes);
    this.emitter.alias(copy, value);
    this.copies.set(value, copy);
    return copy;
  }
}
