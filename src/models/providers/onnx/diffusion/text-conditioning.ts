/**
 * Prompt → CLIP text-encoder hidden states, the UNet's cross-attention context. Every text is
 * padded or cut to the encoder's sequence length (77); a cut prompt yields a warning that names
 * how many tokens it had and which words were dropped, since the image will not show them.
 */
import type { TextTokenizer } from '../../../../preprocess/text/tokenize.ts';
import type { OnnxPart } from './onnx-part.ts';

export interface EncodedTexts {
  /** One `[sequence × hiddenSize]` block per text, in order. */
  states: Float32Array[];
  sequence: number;
  hiddenSize: number;
  warnings: string[];
}

const DEFAULT_SEQUENCE = 77;

/** The sequence length the encoder was built for: its fixed input dim, else the tokenizer's limit. */
export function sequenceLength(encoder: OnnxPart, tokenizer: TextTokenizer): number {
  const fixed = encoder.input('input_ids').shape[1];
  if (typeof fixed === 'number' && fixed > 1) return fixed;
  const limit = tokenizer.backend.model_max_length;
  return typeof limit === 'number' && limit > 1 && limit <= 4096 ? limit : DEFAULT_SEQUENCE;
}

/** A warning when `text` does not fit in `sequence` tokens (start and end tokens included). */
export function truncationWarning(
  tokenizer: TextTokenizer,
  text: string,
  label: string,
  sequence: number,
): string | undefined {
  const ids = tokenizer.backend.encode(text);
  if (ids.length <= sequence) return undefined;
  const dropped = tokenizer.decode(ids.slice(sequence - 1, ids.length - 1)).trim();
  const shown = dropped.length > 80 ? `${dropped.slice(0, 77)}...` : dropped;
  return `${label} is ${ids.length} tokens but the text encoder reads ${sequence} (start and end included): truncated, dropping "${shown}"`;
}

export async function encodeTexts(
  encoder: OnnxPart,
  tokenizer: TextTokenizer,
  texts: readonly { text: string; label: string }[],
): Promise<EncodedTexts> {
  const sequence = sequenceLength(encoder, tokenizer);
  const warnings = texts
    .map(({ text, label }) => truncationWarning(tokenizer, text, label, sequence))
    .filter((warning): warning is string => warning !== undefined);
  const output = encoder.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : encoder.outputNames[0];
  // One call for all texts unless the export fixes the batch size.
  const batch = encoder.fixedBatch('input_ids') ?? texts.length;
  const states: Float32Array[] = [];
  let hiddenSize = 0;
  for (let start = 0; start < texts.length; start += batch) {
    const chunk = texts.slice(start, start + batch).map(({ text }) => text);
    while (chunk.length < batch) chunk.push('');
    const { inputIds } = tokenizer.tokenize(chunk, { maxLength: sequence });
    const ids = encoder.tensor('input_ids', Array.from(inputIds, Number), [chunk.length, sequence]);
    const { data, dims } = await encoder.run({ input_ids: ids }, output);
    hiddenSize = dims[2];
    const block = sequence * hiddenSize;
    for (let row = 0; row < chunk.length && start + row < texts.length; row++) {
      states.push(data.slice(row * block, (row + 1) * block));
    }
  }
  return { states, sequence, hiddenSize, warnings };
}
