/**
 * One training row as the loop sees it: the whole conversation's token ids (prompt, image tokens,
 * answer), where the answer starts, and which image's frozen features go over its image tokens.
 * Rows over the sequence limit are cut to it, with a warning that names the row.
 */

export interface TrainingExample {
  /** Names the row in warnings, e.g. `train row 3 (xray-12.png)`. */
  label: string;
  tokens: readonly number[];
  /** Index of the answer's first token: loss is taken on tokens from here on. */
  trainFrom: number;
  /** Key of the image's features (see `TrainingData.readFeatures`); none for text-only rows. */
  image?: string;
}

/** `example` cut to `maxLength` tokens; `warn` hears about every cut. */
export function truncateExample(
  example: TrainingExample,
  maxLength: number,
  warn: (message: string) => void,
): TrainingExample {
  const length = example.tokens.length;
  if (length <= maxLength) return example;
  const answerTokens = length - example.trainFrom;
  const kept = Math.max(0, maxLength - example.trainFrom);
  const outcome =
    kept === 0
      ? 'no answer token is left, so the row trains nothing'
      : `${answerTokens - kept} of ${answerTokens} answer tokens dropped`;
  warn(`${example.label}: ${length} tokens, truncated to the maximum sequence length ${maxLength} (${outcome})`);
  return { ...example, tokens: example.tokens.slice(0, maxLength) };
}

/** Positions whose next token is trained: what the loss of a row is averaged over. */
export function trainedTokenCount(example: TrainingExample): number {
  return Math.max(0, example.tokens.length - Math.max(1, example.trainFrom));
}
