/** Reading node attributes and constant (initializer) inputs while walking a graph. */
import type { Attribute, NodeData } from '../../onnx/model-proto.ts';
import { type ElementType, ONNX_DATA_TYPE, type TensorValue } from '../../onnx/tensor.ts';

function find(node: NodeData, name: string): Attribute | undefined {
  return node.attributes.find((entry) => entry.name === name)?.attribute;
}

export function intAttribute(node: NodeData, name: string, fallback: number): number {
  const attribute = find(node, name);
  if (!attribute) return fallback;
  if (attribute.kind !== 'int') throw new TypeError(`${node.opType}: attribute ${name} is not an int`);
  return Number(attribute.value);
}

export function intsAttribute(node: NodeData, name: string): number[] | undefined {
  const attribute = find(node, name);
  if (!attribute) return undefined;
  if (attribute.kind !== 'ints') throw new TypeError(`${node.opType}: attribute ${name} is not a list of ints`);
  return attribute.value.map(Number);
}

export function floatAttribute(node: NodeData, name: string, fallback: number): number {
  const attribute = find(node, name);
  if (!attribute) return fallback;
  if (attribute.kind !== 'float' && attribute.kind !== 'int') {
    throw new TypeError(`${node.opType}: attribute ${name} is not a float`);
  }
  // ONNX stores float attributes as float32: compute with the value the runtime sees.
  return attribute.kind === 'float' ? Math.fround(attribute.value) : Number(attribute.value);
}

export function stringAttribute(node: NodeData, name: string, fallback: string): string {
  const attribute = find(node, name);
  if (!attribute) return fallback;
  if (attribute.kind !== 'string') throw new TypeError(`${node.opType}: attribute ${name} is not a string`);
  return attribute.value;
}

export function tensorAttribute(node: NodeData, name: string): TensorValue | undefined {
  const attribute = find(node, name);
  if (!attribute) return undefined;
  if (attribute.kind !== 'tensor') throw new TypeError(`${node.opType}: attribute ${name} is not a tensor`);
  return attribute.value;
}

const TYPE_BY_CODE = new Map<number, ElementType>(
  Object.entries(ONNX_DATA_TYPE).map(([type, code]) => [code, type as ElementType]),
);

export function elementTypeOfCode(code: number): ElementType {
  const type = TYPE_BY_CODE.get(code);
  if (!type) throw new RangeError(`unsupported ONNX data type ${code}`);
  return type;
}

export function codeOfElementType(type: ElementType): number {
  return ONNX_DATA_TYPE[type];
}

/** A tensor's values as plain numbers (int64 converted; sizes and axes fit easily). */
export function tensorNumbers(value: TensorValue): number[] {
  return Array.from(value.data as ArrayLike<number | bigint>, Number);
}
