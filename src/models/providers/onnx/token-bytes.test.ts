import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson } from '../../../../testkit/byte-tokenizer.ts';
import { tokenBytes, utf8ByteString } from './token-bytes.ts';

/** A SentencePiece-style vocabulary (Llama 2, Mistral): word pieces and `<0xNN>` byte fallback. */
function sentencePieceTokenizer(): PreTrainedTokenizer {
  const pieces = [
    '<unk>',
    '<s>',
    '</s>',
    '▁hello',
    '▁',
    '上',
    ...Array.from({ length: 256 }, (_, byte) => `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`),
  ];
  const json = {
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
      ],
    },
    model: {
      type: 'BPE',
      vocab: Object.fromEntries(pieces.map((piece, id) => [piece, id])),
      merges: [],
      byte_fallback: true,
      unk_token: '<unk>',
      fuse_unk: true,
    },
    added_tokens: [0, 1, 2].map((id) => ({
      id,
      content: pieces[id],
      special: true,
      normalized: false,
      lstrip: false,
      rstrip: false,
      single_word: false,
    })),
  };
  return new PreTrainedTokenizer(json, { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' });
}

describe('tokenBytes', () => {
  it('gives byte-level BPE tokens that hold part of a character their bytes', () => {
    const words = { vocabulary: { 'ä¸': 300 }, merges: ['ä ¸'] };
    const tokenizer = new PreTrainedTokenizer(byteLevelTokenizerJson([{ id: 256, content: '<|end|>' }], words), {});
    const bytes = tokenBytes(tokenizer);
    expect(bytes[0x41]).toBe('A');
    expect(bytes[0xe4]).toBe('\xe4');
    // The first two bytes of 上 (E4 B8 8A), merged into one token.
    expect(bytes[300]).toBe('\xe4\xb8');
    expect(bytes[0x8a]).toBe('\x8a');
    expect(bytes[300]! + bytes[0x8a]).toBe(utf8ByteString('上'));
  });

  it("gives SentencePiece's byte-fallback tokens their byte, and whole pieces their text", () => {
    const tokenizer = sentencePieceTokenizer();
    const vocabulary = tokenizer.get_vocab();
    const bytes = tokenBytes(tokenizer);
    expect(bytes[vocabulary.get('<0xE4>')!]).toBe('\xe4');
    expect(bytes[vocabulary.get('<0x8A>')!]).toBe('\x8a');
    expect(bytes[vocabulary.get('上')!]).toBe(utf8ByteString('上'));
    // Inside an answer a `▁` piece writes its space, which decoding it alone strips.
    expect(bytes[vocabulary.get('▁hello')!]).toBe(' hello');
    expect(bytes[vocabulary.get('▁')!]).toBe(' ');
    // A byte-fallback token for an ASCII byte decodes to its character.
    expect(bytes[vocabulary.get('<0x41>')!]).toBe('A');
  });
});
