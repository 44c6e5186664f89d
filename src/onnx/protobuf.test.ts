import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './protobuf.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('ProtoWriter', () => {
  it('encodes varints, including multi-byte and negative int64 values', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(2, 0).finish())).toBe('1000');
    // -1 as int64 is ten bytes of two's complement.
    expect(hex(new ProtoWriter().int(1, -1).finish())).toBe('08ffffffffffffffffff01');
    expect(hex(new ProtoWriter().int(1, 2n ** 40n).finish())).toBe('08808080808020');
  });

  it('encodes strings, floats, packed fields and nested messages with their lengths', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe('3a080000803f000000c0');
    const inner = new ProtoWriter().int(1, 150);
    expect(hex(new ProtoWriter().message(3, inner).finish())).toBe('1a03089601');
  });

  it('keeps large byte fields intact across chunk boundaries', () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, index) => index % 251);
    const inner = new ProtoWriter().int(1, 7).lengthDelimited(2, payload).int(3, 9);
    const bytes = new ProtoWriter().message(5, inner).finish();
    // tag 0x2a, length varint of 2 + 3 + 1000 + 2 = 1007 (0xef 0x07), then the inner message.
    expect(hex(bytes.subarray(0, 3))).toBe('2aef07');
    expect(bytes.length).toBe(3 + 1007);
    expect(Buffer.from(bytes.subarray(8, 1008)).equals(Buffer.from(payload))).toBe(true);
    expect(hex(bytes.subarray(1008))).toBe('1809');
  });
});
