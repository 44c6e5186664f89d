/**
 * A minimal protocol-buffers reader: splits a message into its fields and remembers where each one
 * sits in the buffer. Values are views into the input (nothing is copied), so a decoder can read
 * the fields it knows while an editor keeps every other byte exactly as it was.
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export interface ProtoField {
  field: number;
  wireType: number;
  /** The whole field, tag included: `[start, end)`. */
  start: number;
  end: number;
  /** The value: the payload of a length-delimited field, the bytes of a fixed field. */
  valueStart: number;
  valueEnd: number;
  /** A varint field's value. */
  varint: bigint;
}

export class ProtoDecodeError extends Error {}

const textDecoder = new TextDecoder();

/** Reads a varint at `position`; returns the value and the position after it. */
export function readVarint(bytes: Uint8Array, position: number, end = bytes.length): [bigint, number] {
  let low = 0;
  let shift = 0;
  let at = position;
  // The first four bytes fit a plain number (28 bits): the common case (tags, lengths, dims).
  while (at < end && shift < 28) {
    const byte = bytes[at++];
    low |= (byte & 0x7f) << shift;
    if (byte < 0x80) return [BigInt(low >>> 0), at];
    shift += 7;
  }
  let value = BigInt(low >>> 0);
  let bigShift = BigInt(shift);
  while (at < end) {
    const byte = bytes[at++];
    value |= BigInt(byte & 0x7f) << bigShift;
    if (byte < 0x80) return [BigInt.asUintN(64, value), at];
    bigShift += 7n;
    if (bigShift > 70n) break;
  }
  throw new ProtoDecodeError(`malformed varint at byte ${position}`);
}

/** The fields of the message in `bytes[start, end)`, in order. */
export function readFields(bytes: Uint8Array, start = 0, end = bytes.length): ProtoField[] {
  const fields: ProtoField[] = [];
  let position = start;
  while (position < end) {
    const fieldStart = position;
    const [tag, afterTag] = readVarint(bytes, position, end);
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (field === 0) throw new ProtoDecodeError(`field number 0 at byte ${fieldStart}`);
    let valueStart = afterTag;
    let valueEnd: number;
    let varint = 0n;
    if (wireType === WIRE_VARINT) {
      [varint, valueEnd] = readVarint(bytes, afterTag, end);
    } else if (wireType === WIRE_FIXED64) {
      valueEnd = afterTag + 8;
    } else if (wireType === WIRE_FIXED32) {
      valueEnd = afterTag + 4;
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const [length, afterLength] = readVarint(bytes, afterTag, end);
      valueStart = afterLength;
      valueEnd = afterLength + Number(length);
    } else {
      throw new ProtoDecodeError(`unsupported wire type ${wireType} at byte ${fieldStart}`);
    }
    if (valueEnd > end) throw new ProtoDecodeError(`field ${field} at byte ${fieldStart} runs past its message`);
    fields.push({ field, wireType, start: fieldStart, end: valueEnd, valueStart, valueEnd, varint });
    position = valueEnd;
  }
  return fields;
}

export function fieldString(bytes: Uint8Array, field: ProtoField): string {
  return textDecoder.decode(bytes.subarray(field.valueStart, field.valueEnd));
}

export function fieldBytes(bytes: Uint8Array, field: ProtoField): Uint8Array {
  return bytes.subarray(field.valueStart, field.valueEnd);
}

/** An int32/int64 varint as a signed number (int64 beyond 2^53 loses precision, as JSON would). */
export function fieldInt(field: ProtoField): number {
  return Number(BigInt.asIntN(64, field.varint));
}

export function fieldFloat(bytes: Uint8Array, field: ProtoField): number {
  return new DataView(bytes.buffer, bytes.byteOffset + field.valueStart, 4).getFloat32(0, true);
}

/** A repeated varint field, packed (one length-delimited field) or not (one field per value). */
export function readPackedVarints(bytes: Uint8Array, field: ProtoField): bigint[] {
  if (field.wireType === WIRE_VARINT) return [field.varint];
  const values: bigint[] = [];
  let position = field.valueStart;
  while (position < field.valueEnd) {
    const [value, next] = readVarint(bytes, position, field.valueEnd);
    values.push(value);
    position = next;
  }
  return values;
}

/** A repeated float field, packed or not. */
export function readPackedFloats(bytes: Uint8Array, field: ProtoField): number[] {
  if (field.wireType === WIRE_FIXED32) return [fieldFloat(bytes, field)];
  const view = new DataView(bytes.buffer, bytes.byteOffset + field.valueStart, field.valueEnd - field.valueStart);
  return Array.from({ length: view.byteLength / 4 }, (_, index) => view.getFloat32(index * 4, true));
}

/** A repeated double field, packed or not. */
export function readPackedDoubles(bytes: Uint8Array, field: ProtoField): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset + field.valueStart, field.valueEnd - field.valueStart);
  return Array.from({ length: view.byteLength / 8 }, (_, index) => view.getFloat64(index * 8, true));
}
