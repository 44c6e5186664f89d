/**
 * The values of a decoded initializer, wherever they live: `raw_data`, the typed repeated fields,
 * or an external data file beside the model (`data_location: EXTERNAL`, read by offset and length,
 * so a multi-gigabyte `model.onnx_data` is never loaded whole).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { DATA_TYPE, type DecodedTensor } from './model-reader.ts';

const BYTES_PER_ELEMENT: Record<number, number> = {
  [DATA_TYPE.float]: 4,
  [DATA_TYPE.uint8]: 1,
  [DATA_TYPE.int8]: 1,
  [DATA_TYPE.uint16]: 2,
  [DATA_TYPE.int16]: 2,
  [DATA_TYPE.int32]: 4,
  [DATA_TYPE.int64]: 8,
  [DATA_TYPE.bool]: 1,
  [DATA_TYPE.float16]: 2,
  [DATA_TYPE.double]: 8,
  [DATA_TYPE.uint32]: 4,
  [DATA_TYPE.uint64]: 8,
  [DATA_TYPE.bfloat16]: 2,
};

export class TensorDataError extends Error {}

export function elementCountOf(tensor: DecodedTensor): number {
  return tensor.dims.reduce((product, dim) => product * dim, 1);
}

/** The bytes an external reference covers, checked to stay inside the model's folder. */
export function readExternalBytes(tensor: DecodedTensor, modelFolder: string): Uint8Array {
  const external = tensor.external;
  if (!external) throw new TensorDataError(`tensor "${tensor.name}" is not external`);
  const location = normalize(external.location);
  if (isAbsolute(location) || location.startsWith('..')) {
    throw new TensorDataError(
      `tensor "${tensor.name}": external data location "${external.location}" leaves the model folder`,
    );
  }
  const width = BYTES_PER_ELEMENT[tensor.dataType];
  const length = external.length ?? (width === undefined ? 0 : width * elementCountOf(tensor));
  const path = join(modelFolder, location);
  const out = new Uint8Array(length);
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    throw new TensorDataError(
      `tensor "${tensor.name}": cannot open its external data ${path} (${(error as Error).message})`,
    );
  }
  try {
    let done = 0;
    while (done < length) {
      const read = readSync(descriptor, out, done, length - done, external.offset + done);
      if (read === 0)
        throw new TensorDataError(`tensor "${tensor.name}": ${path} ends before byte ${external.offset + length}`);
      done += read;
    }
  } finally {
    closeSync(descriptor);
  }
  return out;
}

/** The tensor's values as little-endian bytes (the layout of raw_data), from whichever field holds them. */
export function tensorBytes(tensor: DecodedTensor, modelFolder: string): Uint8Array {
  if (tensor.external) return readExternalBytes(tensor, modelFolder);
  if (tensor.rawData) return tensor.rawData;
  const count = elementCountOf(tensor);
  const width = BYTES_PER_ELEMENT[tensor.dataType];
  if (width === undefined)
    throw new TensorDataError(`tensor "${tensor.name}": data type ${tensor.dataType} is not supported`);
  const out = new Uint8Array(count * width);
  const view = new DataView(out.buffer);
  if (tensor.floatData) {
    for (const [index, value] of tensor.floatData.entries()) view.setFloat32(index * 4, value, true);
  } else if (tensor.doubleData) {
    for (const [index, value] of tensor.doubleData.entries()) view.setFloat64(index * 8, value, true);
  } else if (tensor.int64Data) {
    for (const [index, value] of tensor.int64Data.entries()) view.setBigInt64(index * 8, value, true);
  } else if (tensor.int32Data) {
    // int32_data carries every type of 4 bytes or fewer, one value per entry (float16 as its bits).
    for (const [index, value] of tensor.int32Data.entries()) {
      if (width === 4) view.setInt32(index * 4, value, true);
      else if (width === 2) view.setUint16(index * 2, value & 0xffff, true);
      else view.setUint8(index, value & 0xff);
    }
  } else if (count !== 0) throw new TensorDataError(`tensor "${tensor.name}" holds no data`);
  return out;
}

export function isFloatingPoint(dataType: number): boolean {
  return dataType === DATA_TYPE.float || dataType === DATA_TYPE.float16 || dataType === DATA_TYPE.bfloat16;
}
