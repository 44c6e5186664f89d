/**
 * Plain-data descriptions of an ONNX model and their protobuf encoding. Field numbers follow
 * onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto).
 */
import { ProtoWriter } from './protobuf.ts';
import { type ElementType, ONNX_DATA_TYPE, rawBytes, type TensorValue } from './tensor.ts';

/** A dimension: a fixed size, or a symbolic name such as `batch_size`. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: ElementType;
  /** Omitted: rank unknown. */
  dims?: readonly Dim[];
}

export type Attribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number | bigint }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorValue }
  | { kind: 'graph'; value: GraphData }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly (number | bigint)[] }
  | { kind: 'strings'; value: readonly string[] };

export interface NodeData {
  opType: string;
  /** `''` marks an omitted optional input. */
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes: ReadonlyArray<{ name: string; attribute: Attribute }>;
}

export interface InitializerData {
  name: string;
  value: TensorValue;
}

export interface GraphData {
  name: string;
  nodes: readonly NodeData[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers: readonly InitializerData[];
  valueInfo: readonly ValueInfo[];
  docString?: string;
}

export interface OperatorSet {
  domain: string;
  version: number;
}

export interface ModelData {
  graph: GraphData;
  irVersion: number;
  opsetImports: readonly OperatorSet[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;

export function encodeModel(model: ModelData): Uint8Array {
  const writer = new ProtoWriter().int(1, model.irVersion);
  if (model.producerName) writer.string(2, model.producerName);
  if (model.producerVersion) writer.string(3, model.producerVersion);
  if (model.docString) writer.string(6, model.docString);
  writer.message(7, graphMessage(model.graph));
  for (const opset of model.opsetImports) {
    const entry = new ProtoWriter();
    if (opset.domain) entry.string(1, opset.domain);
    entry.int(2, opset.version);
    writer.message(8, entry);
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    writer.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return writer.finish();
}

function graphMessage(graph: GraphData): ProtoWriter {
  const writer = new ProtoWriter();
  for (const node of graph.nodes) writer.message(1, nodeMessage(node));
  writer.string(2, graph.name);
  for (const initializer of graph.initializers) writer.message(5, tensorMessage(initializer.value, initializer.name));
  if (graph.docString) writer.string(10, graph.docString);
  for (const input of graph.inputs) writer.message(11, valueInfoMessage(input));
  for (const output of graph.outputs) writer.message(12, valueInfoMessage(output));
  for (const info of graph.valueInfo) writer.message(13, valueInfoMessage(info));
  return writer;
}

export function nodeMessage(node: NodeData): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const { name, attribute } of node.attributes) writer.message(5, attributeMessage(name, attribute));
  if (node.domain) writer.string(7, node.domain);
  return writer;
}

function attributeMessage(name: string, attribute: Attribute): ProtoWriter {
  const writer = new ProtoWriter().string(1, name);
  switch (attribute.kind) {
    case 'float':
      writer.float(2, attribute.value);
      break;
    case 'int':
      writer.int(3, attribute.value);
      break;
    case 'string':
      writer.string(4, attribute.value);
      break;
    case 'tensor':
      writer.message(5, tensorMessage(attribute.value));
      break;
    case 'graph':
      writer.message(6, graphMessage(attribute.value));
      break;
    case 'floats':
      writer.packedFloats(7, attribute.value);
      break;
    case 'ints':
      writer.packedInts(8, attribute.value);
      break;
    case 'strings':
      for (const value of attribute.value) writer.string(9, value);
      break;
  }
  writer.int(20, ATTRIBUTE_TYPE[attribute.kind]);
  return writer;
}

export function tensorMessage(value: TensorValue, name?: string): ProtoWriter {
  const writer = new ProtoWriter();
  if (value.dims.length > 0) writer.packedInts(1, value.dims);
  writer.int(2, ONNX_DATA_TYPE[value.type]);
  if (name) writer.string(8, name);
  writer.lengthDelimited(9, rawBytes(value));
  return writer;
}

function valueInfoMessage(info: ValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, ONNX_DATA_TYPE[info.type]);
  if (info.dims) {
    const shape = new ProtoWriter();
    for (const dim of info.dims) {
      const dimension = new ProtoWriter();
      if (typeof dim === 'number') dimension.int(1, dim);
      else dimension.string(2, dim);
      shape.message(1, dimension);
    }
    tensorType.message(2, shape);
  }
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}
