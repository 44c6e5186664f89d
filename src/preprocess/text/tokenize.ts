/**
 * CLIP-style text tokenization into fixed-length int64 batches: start token, text, end token, padded
 * with the tokenizer's pad token (attention 0). Over-long text is cut so that the end-of-text token
 * (or a BERT-style tokenizer's [SEP]) stays the last token (CLIP's text encoders read the embedding
 * at that position).
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { MmkitError } from '../../errors.ts';
import { ClipAsciiEncoder } from './clip-ascii-encoder.ts';
import { loadTokenizerBackend } from './load-tokenizer.ts';

export const DEFAULT_MAX_LENGTH = 77;

export interface TokenizeOptions {
  /** Sequence length of every row, special tokens included (CLIP: 77). */
  maxLength?: number;
  /**
   * `max-length` (the default) pads every row to `maxLength`, as CLIP's encoders were trained;
   * `longest` pads only to the longest row, which a model reading the end-of-text position
   * (CLIP's pooling) answers the same for at a fraction of the compute.
   */
  padding?: 'max-length' | 'longest';
}

export interface TokenizedText {
  /** Row-major `[batch, maxLength]`. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  shape: [number, number];
}

export class TextTokenizer {
  readonly padId: number;
  readonly endId: number | undefined;

  constructor(
    readonly backend: PreTrainedTokenizer,
    /** The folder or repo id the tokenizer came from. */
    readonly origin: string,
    /** CLIP's fast path for plain ASCII text, when the tokenizer is CLIP's (same ids as `backend`). */
    private readonly asciiEncoder?: ClipAsciiEncoder,
  ) {
    // CLIP ends a text with its end-of-text token, BERT-style tokenizers with [SEP].
    this.endId = backend.eos_token_id ?? backend.sep_token_id ?? undefined;
    this.padId = backend.pad_token_id ?? this.endId ?? 0;
  }

  /** The ids of one text with the special tokens the tokenizer adds, cut to `maxLength`. */
  encode(text: string, maxLength = DEFAULT_MAX_LENGTH): number[] {
    checkMaxLength(maxLength);
    const ids = this.asciiEncoder?.encode(text) ?? this.backend.encode(text);
    if (ids.length <= maxLength) return ids;
    const last = ids[ids.length - 1];
    if (last === this.endId) return [...ids.slice(0, maxLength - 1), last];
    return ids.slice(0, maxLength);
  }

  tokenize(texts: string | readonly string[], options: TokenizeOptions = {}): TokenizedText {
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    checkMaxLength(maxLength);
    const batch = typeof texts === 'string' ? [texts] : texts;
    const rows = batch.map((text) => this.encode(text, maxLength));
    const length =
      options.padding === 'longest' ? rows.reduce((longest, ids) => Math.max(longest, ids.length), 0) : maxLength;
    const inputIds = new BigInt64Array(batch.length * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(batch.length * length);
    for (let row = 0; row < rows.length; row++) {
      const ids = rows[row]!;
      const offset = row * length;
      for (let column = 0; column < ids.length; column++) {
        inputIds[offset + column] = BigInt(ids[column]!);
        attentionMask[offset + column] = 1n;
      }
    }
    return { inputIds, attentionMask, shape: [batch.length, length] };
  }

  /** Vocabulary strings of `ids` (byte-level symbols, as Hugging Face shows them). */
  tokens(ids: readonly number[]): string[] {
    return ids.map((id) => this.backend._tokenizer.id_to_token(id) ?? `<${id}>`);
  }

  /** The text an id sequence stands for, special tokens dropped. */
  decode(ids: readonly number[]): string {
    return this.backend.decode([...ids], { skip_special_tokens: true });
  }
}

function checkMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new MmkitError(`max length must be an integer ≥ 2 (room for the start and end tokens), got ${maxLength}`, {
      code: 'invalid_max_length',
      param: 'max_length',
    });
  }
}

/** Loads a tokenizer from a folder (tokenizer.json, vocab.json + merges.txt, or a tokenizer/ subfolder) or a repo id. */
export async function loadTextTokenizer(source: string): Promise<TextTokenizer> {
  const { backend, origin, json } = await loadTokenizerBackend(source);
  return new TextTokenizer(backend, origin, json ? ClipAsciiEncoder.fromTokenizerJson(json) : undefined);
}
