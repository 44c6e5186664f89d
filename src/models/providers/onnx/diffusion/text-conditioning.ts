/**
 * Prompt → CLIP text-encoder hidden states, the UNet's cross-attention context. Every text is
 * padded or cut to the encoder's sequence length (77); a cut prompt yields a warning that names
 * how many tokens it had and which words were dropped, since the image will not show them.
 */
import { MmkitError } from '../../../../errors.ts';
import type { TextTokenizer } from '../../../../preprocess/text/tokenize.ts';
import type { OnnxPart } from './onnx-part.ts';

export interface EncodedTexts {
  /** One `[sequence × hiddenSize]` block per text, in order. */
  states: Float32Array[];
  sequence: number;
  hiddenSize: number;
  /** One pooled vector per text (Stable Diffusion XL's `text_embeds`), when asked for. */
  pooled?: Float32Array[];
  warnings: string[];
}

/** Which outputs a text encoder's conditioning is read from. */
export interface ConditioningOutputs {
  /** The hidden states the UNet attends to. */
  hidden: string;
  /** A pooled vector per text (SDXL's second encoder). */
  pooled?: string;
}

/** Stable Diffusion 1.x/2.x: the encoder's last hidden state. */
export function lastHiddenOutput(encoder: OnnxPart): ConditioningOutputs {
  return { hidden: encoder.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : encoder.outputNames[0]! };
}

/**
 * Stable Diffusion XL reads the penultimate layer (diffusers' `hidden_states[-2]`): Optimum's exports
 * give every layer as `hidden_states.0` … `hidden_states.N`, other exporters one `hidden_states`
 * (that layer). Its second encoder's pooled projection is `text_embeds`.
 */
export function penultimateHiddenOutput(encoder: OnnxPart, pooled: boolean): ConditioningOutputs {
  const names = encoder.outputNames;
  const layers = names.flatMap((name) => /^hidden_states\.(\d+)$/.exec(name)?.[1] ?? []).map(Number);
  const hidden =
    layers.length >= 2
      ? `hidden_states.${Math.max(...layers) - 1}`
      : names.includes('hidden_states')
        ? 'hidden_states'
        : undefined;
  // The projected pooled vector (CLIPTextModelWithProjection's `text_embeds`), not `pooler_output`.
  const pooledName = names.includes('text_embeds') ? 'text_embeds' : undefined;
  if (hidden === undefined || (pooled && pooledName === undefined)) {
    throw new MmkitError(
      `the Stable Diffusion XL ${encoder.label} gives no ${hidden === undefined ? 'hidden states of its layers (hidden_states.N)' : 'pooled output (text_embeds)'}: export it with them (Optimum does)`,
      { code: 'model_invalid', param: 'model' },
    );
  }
  return { hidden, ...(pooled ? { pooled: pooledName } : {}) };
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
  outputs: ConditioningOutputs = lastHiddenOutput(encoder),
): Promise<EncodedTexts> {
  const sequence = sequenceLength(encoder, tokenizer);
  const warnings = texts
    .map(({ text, label }) => truncationWarning(tokenizer, text, label, sequence))
    .filter((warning): warning is string => warning !== undefined);
  // One call for all texts unless the export fixes the batch size.
  const batch = encoder.fixedBatch('input_ids') ?? texts.length;
  const states: Float32Array[] = [];
  const pooled: Float32Array[] = [];
  let hiddenSize = 0;
  for (let start = 0; start < texts.length; start += batch) {
    const chunk = texts.slice(start, start + batch).map(({ text }) => text);
    while (chunk.length < batch) chunk.push('');
    const { inputIds } = tokenizer.tokenize(chunk, { maxLength: sequence });
    const ids = encoder.tensor('input_ids', Array.from(inputIds, Number), [chunk.length, sequence]);
    const wanted = outputs.pooled ? [outputs.hidden, outputs.pooled] : [outputs.hidden];
    const results = await encoder.runOutputs({ input_ids: ids }, wanted);
    const { data, dims } = results[outputs.hidden]!;
    hiddenSize = dims[2]!;
    const block = sequence * hiddenSize;
    const vectors = outputs.pooled ? results[outputs.pooled] : undefined;
    const width = vectors?.dims.at(-1) ?? 0;
    for (let row = 0; row < chunk.length && start + row < texts.length; row++) {
      states.push(data.slice(row * block, (row + 1) * block));
      if (vectors) pooled.push(vectors.data.slice(row * width, (row + 1) * width));
    }
  }
  return { states, sequence, hiddenSize, ...(outputs.pooled ? { pooled } : {}), warnings };
}

/**
 * Stable Diffusion XL's conditioning: each text through both encoders, their penultimate layers
 * side by side (`[sequence × (h₁ + h₂)]`) and the second encoder's pooled vector. Texts marked
 * `zero` (an absent negative prompt, where the pipeline says so) are zeros instead, as diffusers
 * makes them.
 */
export async function encodeTextsXl(
  first: { encoder: OnnxPart; tokenizer: TextTokenizer },
  second: { encoder: OnnxPart; tokenizer: TextTokenizer },
  texts: readonly { text: string; label: string; zero?: boolean }[],
): Promise<EncodedTexts & { pooled: Float32Array[] }> {
  const one = await encodeTexts(first.encoder, first.tokenizer, texts, penultimateHiddenOutput(first.encoder, false));
  const two = await encodeTexts(second.encoder, second.tokenizer, texts, penultimateHiddenOutput(second.encoder, true));
  if (one.sequence !== two.sequence) {
    throw new MmkitError(
      `the Stable Diffusion XL text encoders read ${one.sequence} and ${two.sequence} tokens: they must read the same`,
      { code: 'model_invalid', param: 'model' },
    );
  }
  const hiddenSize = one.hiddenSize + two.hiddenSize;
  const states = texts.map((text, index) => {
    const joined = new Float32Array(one.sequence * hiddenSize);
    if (text.zero) return joined;
    for (let position = 0; position < one.sequence; position++) {
      const from = (size: number) => [position * size, (position + 1) * size] as const;
      joined.set(one.states[index]!.subarray(...from(one.hiddenSize)), position * hiddenSize);
      joined.set(two.states[index]!.subarray(...from(two.hiddenSize)), position * hiddenSize + one.hiddenSize);
    }
    return joined;
  });
  const pooled = texts.map((text, index) =>
    text.zero ? new Float32Array(two.pooled![index]!.length) : two.pooled![index]!,
  );
  // Both tokenizers cut at the same place: one warning per text is enough.
  return { states, sequence: one.sequence, hiddenSize, pooled, warnings: one.warnings };
}
