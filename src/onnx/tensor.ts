/**
 * Tensor values for ONNX initializers and constant attributes: an element type, a shape and a typed
 * array, plus the helpers that build them from plain numbers.
 */

export type ElementType = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int32' | 'int64' | 'bool';

/** TensorProto.DataType codes from onnx.proto. */
export const ONNX_DATA_TYPE: Record<ElementType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int32Array
  | BigInt64Array;

export interface TensorValue {
  readonly type: ElementType;
  readonly dims: readonly number[];
  /** Row-major values; `bool` as 0/1 bytes, `float16` as raw half-precision bits. */
  readonly data: TensorData;
}

const BYTES_PER_ELEMENT: Record<ElementType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

function checked(value: TensorValue): TensorValue {
  const count = elementCount(value.dims);
  if (value.dims.some((dim) => !Number.isInteger(dim) || dim < 0)) {
    throw new RangeError(`tensor: invalid dims [${value.dims.join(', ')}]`);
  }
  if (value.data.length !== count) {
    throw new RangeError(`tensor: dims [${value.dims.join(', ')}] hold ${count} values, data has ${value.data.length}`);
  }
  if (value.data.BYTES_PER_ELEMENT !== BYTES_PER_ELEMENT[value.type]) {
    throw new TypeError(`tensor: ${value.type} data must use ${BYTES_PER_ELEMENT[value.type]}-byte elements`);
  }
  return value;
}

/** A float32 tensor; `dims` defaults to a vector. Pass `[]` for a scalar. */
export function floatTensor(values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorValue {
  return checked({ type: 'float32', dims, data: Float32Array.from(values) });
}

export function int64Tensor(
  values: ArrayLike<number | bigint>,
  dims: readonly number[] = [values.length],
): TensorValue {
  return checked({ type: 'int64', dims, data: BigInt64Array.from(Array.from(values, (value) => BigInt(value))) });
}

export function int32Tensor(values: ArrayLike<number>, dims: readonly number[] = [values.length]): TensorValue {
  return checked({ type: 'int32', dims, data: Int32Array.from(values) });
}

export function boolTensor(
  values: ArrayLike<boolean | number>,
  dims: readonly number[] = [values.length],
): TensorValue {
  return checked({ type: 'bool', dims, data: Uint8Array.from(Array.from(values, (value) => (value ? 1 : 0))) });
}

/** Wraps an existing typed array without copying it. */
export function tensor(type: ElementType, data: TensorData, dims: readonly number[] = [data.length]): TensorValue {
  return checked({ type, dims, data });
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The tensor's values as little-endian bytes, the layout of TensorProto.raw_data. */
export function rawBytes(value: TensorValue): Uint8Array {
  const { data } = value;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndian || data.BYTES_PER_ELEMENT === 1) return view;
  const swapped = new Uint8Array(view.length);
  const width = data.BYTES_PER_ELEMENT;
  for (let start = 0; start < view.length; start += width) {
    for (let byte = 0; byte < width; byte++) swapped[start + byte] = view[start + width - 1 - byte];
  }
  return swapped;
}
