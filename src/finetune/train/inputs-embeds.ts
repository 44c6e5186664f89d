/**
 * `inputs_embeds` for a vision-language model's decoder: each token's embedding row, with the
 * frozen image features written over the image-token rows in order (what Transformers.js's
 * `default_merge_input_ids_with_image_features` does before the decoder runs). A row truncated to
 * the sequence limit keeps the features of the image tokens it still has.
 */

export interface InputsEmbedsOptions {
  /** [batch][sequence] token ids (padding included). */
  inputIds: readonly (readonly number[])[];
  /** The embedding table, [vocabulary, hidden] row-major. */
  embeddings: Float32Array;
  hiddenSize: number;
  imageTokenId?: number;
  /** Per batch row: its image's features, [tokens, hidden] row-major, or undefined for no image. */
  imageFeatures?: readonly (Float32Array | undefined)[];
}

/** [batch, sequence, hidden], row-major. */
export function mergeInputsEmbeds(options: InputsEmbedsOptions): Float32Array {
  const { inputIds, embeddings, hiddenSize } = options;
  const sequence = inputIds[0]?.length ?? 0;
  const vocabulary = embeddings.length / hiddenSize;
  const merged = new Float32Array(inputIds.length * sequence * hiddenSize);
  inputIds.forEach((row, batchIndex) => {
    const features = options.imageFeatures?.[batchIndex];
    const featureRows = features ? features.length / hiddenSize : 0;
    let imageToken = 0;
    row.forEach((token, position) => {
      const target = (batchIndex * sequence + position) * hiddenSize;
      if (token === options.imageTokenId && features) {
        if (imageToken >= featureRows) {
          throw new RangeError(`row ${batchIndex} has more image tokens than its ${featureRows} image features`);
        }
        merged.set(features.subarray(imageToken * hiddenSize, (imageToken + 1) * hiddenSize), target);
        imageToken++;
        return;
      }
      if (!(token >= 0 && token < vocabulary)) throw new RangeError(`token id ${token} is outside the vocabulary`);
      merged.set(embeddings.subarray(token * hiddenSize, (token + 1) * hiddenSize), target);
    });
  });
  return merged;
}
