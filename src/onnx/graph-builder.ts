/**
 * A small builder for ONNX graphs: declare inputs (with symbolic dims), initializers from typed
 * arrays, nodes and outputs, then `toBytes()` for `InferenceSession.create(bytes)`. Values are
 * plain strings (their ONNX names) and every node is kept as data (`nodes`), so a later pass can walk
 * the forward graph in reverse to emit a backward (training) graph with the same builder.
 */
import type { Attribute, Dim, GraphData, InitializerData, ModelData, NodeData, ValueInfo } from './model-proto.ts';
import { encodeModel } from './model-proto.ts';
import type { ElementType, TensorValue } from './tensor.ts';

/** ir_version 8 with opset 17 loads in onnxruntime-node 1.30 and in Transformers.js. */
export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;

/**
 * What `node()` accepts as an attribute. Numbers are inferred (integer → INT, otherwise FLOAT);
 * use `attribute.float(1)` / `attribute.floats([1, 2])` where a float happens to be whole.
 */
export type AttributeInput =
  | Attribute
  | number
  | bigint
  | string
  | readonly number[]
  | readonly string[]
  | TensorValue
  | GraphBuilder;

export const attribute = {
  float: (value: number): Attribute => ({ kind: 'float', value }),
  int: (value: number | bigint): Attribute => ({ kind: 'int', value }),
  floats: (value: readonly number[]): Attribute => ({ kind: 'floats', value }),
  ints: (value: readonly (number | bigint)[]): Attribute => ({ kind: 'ints', value }),
};

export interface ModelOptions {
  irVersion?: number;
  opset?: number;
  /** Extra operator sets, e.g. `{domain: 'com.microsoft', version: 1}`. */
  extraOpsets?: readonly { domain: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

export interface NodeOptions {
  name?: string;
  domain?: string;
}

export class GraphBuilder {
  readonly name: string;
  private readonly nodeList: NodeData[] = [];
  private readonly inputList: ValueInfo[] = [];
  private readonly outputList: ValueInfo[] = [];
  private readonly initializerList: InitializerData[] = [];
  private readonly valueInfoList: ValueInfo[] = [];
  private readonly defined = new Set<string>();
  /** Fresh-name counters, shared with subgraphs so names stay unique across scopes. */
  private readonly counters: Map<string, number>;
  private readonly parent: GraphBuilder | undefined;

  constructor(name = 'main', parent?: GraphBuilder) {
    this.name = name;
    this.parent = parent;
    this.counters = parent ? parent.counters : new Map();
  }

  get nodes(): readonly NodeData[] {
    return this.nodeList;
  }
  get inputs(): readonly ValueInfo[] {
    return this.inputList;
  }
  get outputs(): readonly ValueInfo[] {
    return this.outputList;
  }
  get initializers(): readonly InitializerData[] {
    return this.initializerList;
  }

  /** A new subgraph (for `If`/`Loop`/`Scan` bodies) that may read this graph's values. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this);
  }

  /** A name not used in this graph family yet: `prefix`, then `prefix_1`, `prefix_2`, … */
  freshName(prefix: string): string {
    for (;;) {
      const count = this.counters.get(prefix) ?? 0;
      this.counters.set(prefix, count + 1);
      const candidate = count === 0 ? prefix : `${prefix}_${count}`;
      if (!this.isDefined(candidate)) return candidate;
    }
  }

  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.define(name);
    this.inputList.push({ name, type, dims });
    return name;
  }

  /** A named constant stored in the model (a weight). */
  initializer(name: string, value: TensorValue): string {
    this.define(name);
    this.initializerList.push({ name, value });
    return name;
  }

  /** An initializer with a fresh name, for small constants (shapes, axes, scalars). */
  constant(value: TensorValue, prefix = 'const'): string {
    return this.initializer(this.freshName(prefix), value);
  }

  /**
   * Adds a node. `outputs` is a list of names, or a count for fresh names derived from the op type.
   * Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attributes: Readonly<Record<string, AttributeInput>> = {},
    options: NodeOptions = {},
  ): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.isDefined(input)) {
        throw new Error(`graph ${this.name}: ${opType} reads "${input}", which is not defined yet`);
      }
    }
    const outputNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.freshName(opType.toLowerCase()))
        : [...outputs];
    for (const output of outputNames) this.define(output);
    this.nodeList.push({
      opType,
      inputs: [...inputs],
      outputs: outputNames,
      name: options.name ?? this.freshName(`${opType}_node`),
      domain: options.domain,
      attributes: Object.entries(attributes).map(([name, value]) => ({ name, attribute: toAttribute(name, value) })),
    });
    return outputNames;
  }

  /**
   * Moves the nodes from index `from` on for which `first` holds before the others, each group
   * keeping its order. The caller keeps the list topological (nothing moved may read a value
   * that a node it passes defines).
   */
  partitionNodes(from: number, first: (node: NodeData) => boolean): void {
    const tail = this.nodeList.splice(from);
    this.nodeList.push(...tail.filter(first), ...tail.filter((node) => !first(node)));
  }

  /** A single-output node with a fresh output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeInput>> = {},
    options: NodeOptions = {},
  ): string {
    return this.node(opType, inputs, 1, attributes, options)[0];
  }

  /** Declares an existing value as a graph output. */
  output(name: string, type: ElementType, dims?: readonly Dim[]): string {
    if (!this.isDefined(name)) throw new Error(`graph ${this.name}: output "${name}" is not defined`);
    this.outputList.push(dims ? { name, type, dims } : { name, type });
    return name;
  }

  /** Optional type and shape of an intermediate value (documentation, shape checks). */
  valueInfo(name: string, type: ElementType, dims?: readonly Dim[]): void {
    this.valueInfoList.push(dims ? { name, type, dims } : { name, type });
  }

  build(): GraphData {
    return {
      name: this.name,
      nodes: this.nodeList,
      inputs: this.inputList,
      outputs: this.outputList,
      initializers: this.initializerList,
      valueInfo: this.valueInfoList,
    };
  }

  toModel(options: ModelOptions = {}): ModelData {
    if (this.parent) throw new Error(`graph ${this.name}: a subgraph is not a model`);
    if (this.outputList.length === 0) throw new Error(`graph ${this.name}: no outputs declared`);
    return {
      graph: this.build(),
      irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
      opsetImports: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }, ...(options.extraOpsets ?? [])],
      producerName: options.producerName ?? 'mmkit',
      producerVersion: options.producerVersion,
      docString: options.docString,
      metadata: options.metadata,
    };
  }

  /** The serialized ModelProto. */
  toBytes(options: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(options));
  }

  private isDefined(name: string): boolean {
    return this.defined.has(name) || (this.parent?.isDefined(name) ?? false);
  }

  private define(name: string): void {
    if (name === '') throw new Error(`graph ${this.name}: empty value name`);
    if (this.defined.has(name)) throw new Error(`graph ${this.name}: "${name}" is defined twice`);
    this.defined.add(name);
  }
}

function toAttribute(name: string, value: AttributeInput): Attribute {
  if (value instanceof GraphBuilder) return { kind: 'graph', value: value.build() };
  if (typeof value === 'bigint') return { kind: 'int', value };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'int', value } : { kind: 'float', value };
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) {
    // An empty list is taken as INTS (axes, pads), the common case.
    if (value.length > 0 && value.every((item) => typeof item === 'string')) {
      return { kind: 'strings', value: value as string[] };
    }
    const numbers = value as readonly number[];
    return numbers.every(Number.isInteger) ? { kind: 'ints', value: numbers } : { kind: 'floats', value: numbers };
  }
  if ('kind' in value) return value;
  if ('data' in value && 'dims' in value) return { kind: 'tensor', value };
  throw new TypeError(`attribute ${name}: unsupported value`);
}
