import { describe, expect, it } from 'vitest';
import { IncrementalDetokenizer } from './incremental-detokenizer.ts';

/** One token per UTF-8 byte, decoded the way a byte-level tokenizer does (U+FFFD for broken bytes). */
const decodeBytes = (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids));

function deltasOf(text: string): string[] {
  const detokenizer = new IncrementalDetokenizer(decodeBytes);
  const deltas = Array.from(new TextEncoder().encode(text), (byte) => detokenizer.push(byte));
  deltas.push(detokenizer.flush());
  return deltas.filter((delta) => delta.length > 0);
}

describe('IncrementalDetokenizer', () => {
  it('emits each Chinese character whole, once its last byte arrives', () => {
    const deltas = deltasOf('图像里是什么？');
    expect(deltas).toEqual(['图', '像', '里', '是', '什', '么', '？']);
  });

  it('never emits a replacement character for a split character, and the deltas add up', () => {
    const text = 'naïve café — 你好 🙂 ok';
    const deltas = deltasOf(text);
    expect(deltas.join('')).toBe(text);
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
  });

  it('drops the bytes of a character that generation cut off', () => {
    const detokenizer = new IncrementalDetokenizer(decodeBytes);
    const bytes = new TextEncoder().encode('ab你');
    const emitted = [...bytes.slice(0, 4)].map((byte) => detokenizer.push(byte)).join('');
    expect(emitted + detokenizer.flush()).toBe('ab');
  });

  it('keeps text a tokenizer changes at the start of a decode stable (window decoding)', () => {
    // A SentencePiece-like decoder that strips one leading space from whatever it decodes.
    const pieces = ['▁Hello', '▁world', '!'];
    const decode = (ids: number[]) =>
      ids
        .map((id) => pieces[id].replace('▁', ' '))
        .join('')
        .replace(/^ /, '');
    const detokenizer = new IncrementalDetokenizer(decode);
    expect([0, 1, 2].map((id) => detokenizer.push(id)).join('') + detokenizer.flush()).toBe('Hello world!');
  });
});
