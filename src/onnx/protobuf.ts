/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, fixed32,
 * length-delimited). Messages are assembled as lists of chunks and copied once at the end, so large
 * tensors (fine-tuning graphs carry real weights) are never copied while nesting.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private size = 0;

  /** Total encoded length in bytes. */
  get length(): number {
    return this.size + this.pending.length;
  }

  /** A varint field (int32, int64, enum, bool). Negative numbers take 10 bytes, as protobuf requires. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** A fixed32 float field. */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.bytes(encodeFloats([value]));
    return this;
  }

  string(field: number, value: string): this {
    return this.lengthDelimited(field, textEncoder.encode(value));
  }

  /** A bytes field; the array is referenced, not copied, until `finish()`. */
  lengthDelimited(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    this.bytes(value);
    return this;
  }

  /** An embedded message field. */
  message(field: number, message: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(message.length);
    message.flushPending();
    for (const chunk of message.chunks) this.bytes(chunk);
    return this;
  }

  /** A packed repeated varint field (e.g. tensor dims, `ints` attributes). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const body = new ProtoWriter();
    for (const value of values) body.varint(value);
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(body.length);
    body.flushPending();
    for (const chunk of body.chunks) this.bytes(chunk);
    return this;
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    return this.lengthDelimited(field, encodeFloats(values));
  }

  finish(): Uint8Array {
    this.flushPending();
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
      let rest = value;
      while (rest >= 0x80) {
        this.pending.push((rest % 0x80) | 0x80);
        rest = Math.floor(rest / 0x80);
      }
      this.pending.push(rest);
      return;
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`protobuf: varint value ${value} is not a safe integer`);
    }
    // Two's complement over 64 bits: negative int64 values always take ten bytes.
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.pending.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pending.push(Number(rest));
  }

  private bytes(value: Uint8Array): void {
    if (value.length < 64) {
      for (const byte of value) this.pending.push(byte);
      return;
    }
    this.flushPending();
    this.chunks.push(value);
    this.size += value.length;
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.size += this.pending.length;
    this.pending = [];
  }
}

function encodeFloats(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((value, index) => {
    view.setFloat32(index * 4, value, true);
  });
  return out;
}
