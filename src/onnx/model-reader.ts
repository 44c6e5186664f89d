/**
 * Reads the parts of an ONNX ModelProto that model surgery needs: opset imports, graph inputs,
 * outputs and value_info, nodes (with attributes and subgraphs), and initializers with their data
 * (raw_data, float_data and friends, or a reference to external data). Field numbers follow
 * onnx.proto. Every decoded item keeps its `ProtoField` (its byte range), so `model-splice.ts` can
 * rewrite just that item and copy everything else, unknown fields included, byte for byte.
 */
import {
  fieldBytes,
  fieldFloat,
  fieldInt,
  fieldString,
  type ProtoField,
  readFields,
  readPackedDoubles,
  readPackedFloats,
  readPackedVarints,
  WIRE_LENGTH_DELIMITED,
} from './protobuf-reader.ts';

/** TensorProto.DataType codes this module names. */
export const DATA_TYPE = {
  float: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  double: 11,
  uint32: 12,
  uint64: 13,
  bfloat16: 16,
} as const;

export interface ExternalDataReference {
  /** Relative to the model file's folder. */
  location: string;
  offset: number;
  /** Omitted in the file: the tensor's size. */
  length: number | undefined;
}

export interface DecodedTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** A view into the model bytes. */
  rawData: Uint8Array | undefined;
  floatData: number[] | undefined;
  int32Data: number[] | undefined;
  int64Data: bigint[] | undefined;
  doubleData: number[] | undefined;
  external: ExternalDataReference | undefined;
  /** The TensorProto's own fields, for splicing. */
  fields: ProtoField[];
}

export type DecodedAttribute =
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'tensor'; value: DecodedTensor }
  | { name: string; kind: 'graph'; value: DecodedGraph }
  | { name: string; kind: 'floats'; value: number[] }
  | { name: string; kind: 'ints'; value: number[] }
  | { name: string; kind: 'strings'; value: string[] }
  | { name: string; kind: 'other'; type: number };

export interface DecodedNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: DecodedAttribute[];
  /** This node's field in its graph. */
  field: ProtoField;
  /** The node's own fields; attribute fields hold subgraphs (`attributeFields[i]` ↔ attributes[i]). */
  fields: ProtoField[];
  attributeFields: ProtoField[];
}

export interface DecodedValueInfo {
  name: string;
  /** TensorProto.DataType of a tensor type; undefined for other types. */
  elementType: number | undefined;
  /** Undefined when the rank is unknown; a symbolic dim is its name, an unknown one `undefined`. */
  dims: (number | string | undefined)[] | undefined;
}

export interface InitializerEntry {
  tensor: DecodedTensor;
  /** The initializer's field in its graph. */
  field: ProtoField;
}

export interface DecodedGraph {
  name: string;
  nodes: DecodedNode[];
  initializers: InitializerEntry[];
  inputs: DecodedValueInfo[];
  outputs: DecodedValueInfo[];
  valueInfo: DecodedValueInfo[];
  /** The graph's own fields (value range of its enclosing field). */
  fields: ProtoField[];
}

export interface DecodedModel {
  bytes: Uint8Array;
  irVersion: number;
  producerName: string;
  opsetImports: { domain: string; version: number }[];
  graph: DecodedGraph;
  /** The model's fields; `graphField` is the one holding the graph. */
  fields: ProtoField[];
  graphField: ProtoField;
}

export class OnnxDecodeError extends Error {}

export function decodeModel(bytes: Uint8Array): DecodedModel {
  const fields = readFields(bytes);
  let irVersion = 0;
  let producerName = '';
  const opsetImports: DecodedModel['opsetImports'] = [];
  let graphField: ProtoField | undefined;
  for (const field of fields) {
    if (field.field === 1) irVersion = fieldInt(field);
    else if (field.field === 2) producerName = fieldString(bytes, field);
    else if (field.field === 7) graphField = field;
    else if (field.field === 8) {
      let domain = '';
      let version = 0;
      for (const part of readFields(bytes, field.valueStart, field.valueEnd)) {
        if (part.field === 1) domain = fieldString(bytes, part);
        else if (part.field === 2) version = fieldInt(part);
      }
      opsetImports.push({ domain, version });
    }
  }
  if (!graphField || graphField.wireType !== WIRE_LENGTH_DELIMITED) throw new OnnxDecodeError('the model has no graph');
  return { bytes, irVersion, producerName, opsetImports, graph: decodeGraph(bytes, graphField), fields, graphField };
}

function decodeGraph(bytes: Uint8Array, enclosing: ProtoField): DecodedGraph {
  const fields = readFields(bytes, enclosing.valueStart, enclosing.valueEnd);
  const graph: DecodedGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], fields };
  for (const field of fields) {
    switch (field.field) {
      case 1:
        graph.nodes.push(decodeNode(bytes, field));
        break;
      case 2:
        graph.name = fieldString(bytes, field);
        break;
      case 5:
        graph.initializers.push({ tensor: decodeTensor(bytes, field), field });
        break;
      case 11:
        graph.inputs.push(decodeValueInfo(bytes, field));
        break;
      case 12:
        graph.outputs.push(decodeValueInfo(bytes, field));
        break;
      case 13:
        graph.valueInfo.push(decodeValueInfo(bytes, field));
        break;
    }
  }
  return graph;
}

function decodeNode(bytes: Uint8Array, enclosing: ProtoField): DecodedNode {
  const fields = readFields(bytes, enclosing.valueStart, enclosing.valueEnd);
  const node: DecodedNode = {
    name: '',
    opType: '',
    domain: '',
    inputs: [],
    outputs: [],
    attributes: [],
    field: enclosing,
    fields,
    attributeFields: [],
  };
  for (const field of fields) {
    if (field.field === 1) node.inputs.push(fieldString(bytes, field));
    else if (field.field === 2) node.outputs.push(fieldString(bytes, field));
    else if (field.field === 3) node.name = fieldString(bytes, field);
    else if (field.field === 4) node.opType = fieldString(bytes, field);
    else if (field.field === 7) node.domain = fieldString(bytes, field);
    else if (field.field === 5) {
      node.attributes.push(decodeAttribute(bytes, field));
      node.attributeFields.push(field);
    }
  }
  return node;
}

const ATTRIBUTE_KIND: Record<number, DecodedAttribute['kind']> = {
  1: 'float',
  2: 'int',
  3: 'string',
  4: 'tensor',
  5: 'graph',
  6: 'floats',
  7: 'ints',
  8: 'strings',
};

function decodeAttribute(bytes: Uint8Array, enclosing: ProtoField): DecodedAttribute {
  const fields = readFields(bytes, enclosing.valueStart, enclosing.valueEnd);
  let name = '';
  let type = 0;
  for (const field of fields) {
    if (field.field === 1) name = fieldString(bytes, field);
    else if (field.field === 20) type = fieldInt(field);
  }
  const pick = (number: number) => fields.filter((field) => field.field === number);
  const kind = ATTRIBUTE_KIND[type] ?? 'other';
  const single = (number: number) => pick(number)[0];
  switch (kind) {
    case 'float':
      return { name, kind, value: single(2) ? fieldFloat(bytes, single(2)) : 0 };
    case 'int':
      return { name, kind, value: single(3) ? fieldInt(single(3)) : 0 };
    case 'string':
      return { name, kind, value: single(4) ? fieldString(bytes, single(4)) : '' };
    case 'tensor':
      return { name, kind, value: decodeTensor(bytes, single(5)) };
    case 'graph':
      return { name, kind, value: decodeGraph(bytes, single(6)) };
    case 'floats':
      return { name, kind, value: pick(7).flatMap((field) => readPackedFloats(bytes, field)) };
    case 'ints':
      return {
        name,
        kind,
        value: pick(8).flatMap((field) => readPackedVarints(bytes, field).map((v) => Number(BigInt.asIntN(64, v)))),
      };
    case 'strings':
      return { name, kind, value: pick(9).map((field) => fieldString(bytes, field)) };
    default:
      return { name, kind: 'other', type };
  }
}

export function decodeTensor(bytes: Uint8Array, enclosing: ProtoField): DecodedTensor {
  const fields = readFields(bytes, enclosing.valueStart, enclosing.valueEnd);
  const tensor: DecodedTensor = {
    name: '',
    dataType: 0,
    dims: [],
    rawData: undefined,
    floatData: undefined,
    int32Data: undefined,
    int64Data: undefined,
    doubleData: undefined,
    external: undefined,
    fields,
  };
  const externalEntries = new Map<string, string>();
  let location = 0;
  for (const field of fields) {
    switch (field.field) {
      case 1:
        tensor.dims.push(...readPackedVarints(bytes, field).map((value) => Number(BigInt.asIntN(64, value))));
        break;
      case 2:
        tensor.dataType = fieldInt(field);
        break;
      case 4:
        tensor.floatData = [...(tensor.floatData ?? []), ...readPackedFloats(bytes, field)];
        break;
      case 5:
        tensor.int32Data = [...(tensor.int32Data ?? []), ...readPackedVarints(bytes, field).map((v) => fieldIntOf(v))];
        break;
      case 7:
        tensor.int64Data = [
          ...(tensor.int64Data ?? []),
          ...readPackedVarints(bytes, field).map((v) => BigInt.asIntN(64, v)),
        ];
        break;
      case 8:
        tensor.name = fieldString(bytes, field);
        break;
      case 9:
        tensor.rawData = fieldBytes(bytes, field);
        break;
      case 10:
        tensor.doubleData = [...(tensor.doubleData ?? []), ...readPackedDoubles(bytes, field)];
        break;
      case 13: {
        let key = '';
        let value = '';
        for (const part of readFields(bytes, field.valueStart, field.valueEnd)) {
          if (part.field === 1) key = fieldString(bytes, part);
          else if (part.field === 2) value = fieldString(bytes, part);
        }
        externalEntries.set(key, value);
        break;
      }
      case 14:
        location = fieldInt(field);
        break;
    }
  }
  if (location === 1) {
    const where = externalEntries.get('location');
    if (!where) throw new OnnxDecodeError(`tensor "${tensor.name}" is external but names no location`);
    const length = externalEntries.get('length');
    tensor.external = {
      location: where,
      offset: Number(externalEntries.get('offset') ?? 0),
      length: length === undefined ? undefined : Number(length),
    };
  }
  return tensor;
}

function fieldIntOf(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}

function decodeValueInfo(bytes: Uint8Array, enclosing: ProtoField): DecodedValueInfo {
  const info: DecodedValueInfo = { name: '', elementType: undefined, dims: undefined };
  for (const field of readFields(bytes, enclosing.valueStart, enclosing.valueEnd)) {
    if (field.field === 1) info.name = fieldString(bytes, field);
    if (field.field !== 2) continue;
    for (const typeField of readFields(bytes, field.valueStart, field.valueEnd)) {
      if (typeField.field !== 1) continue;
      for (const tensorField of readFields(bytes, typeField.valueStart, typeField.valueEnd)) {
        if (tensorField.field === 1) info.elementType = fieldInt(tensorField);
        if (tensorField.field !== 2) continue;
        info.dims = [];
        for (const dimension of readFields(bytes, tensorField.valueStart, tensorField.valueEnd)) {
          if (dimension.field !== 1) continue;
          let dim: number | string | undefined;
          for (const part of readFields(bytes, dimension.valueStart, dimension.valueEnd)) {
            if (part.field === 1) dim = fieldInt(part);
            else if (part.field === 2) dim = fieldString(bytes, part);
          }
          info.dims.push(dim);
        }
      }
    }
  }
  return info;
}

/** Every graph of the model: the main graph first, then subgraphs (If/Loop/Scan bodies), depth first. */
export function* allGraphs(graph: DecodedGraph): Generator<DecodedGraph> {
  yield graph;
  for (const node of graph.nodes) {
    for (const attribute of node.attributes) if (attribute.kind === 'graph') yield* allGraphs(attribute.value);
  }
}
