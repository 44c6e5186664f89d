import { describe, expect, it } from 'vitest';
import { mergeInputsEmbeds } from './inputs-embeds.ts';

describe('mergeInputsEmbeds', () => {
  // Vocabulary of 4 tokens, hidden size 2: row t is [t, 10 t]; token 3 is the image token.
  const embeddings = Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30]);

  it('gathers token rows and writes the image features over the image tokens, in order', () => {
    const merged = mergeInputsEmbeds({
      inputIds: [
        [1, 3, 3, 2],
        [2, 1, 0, 0],
      ],
      embeddings,
      hiddenSize: 2,
      imageTokenId: 3,
      imageFeatures: [Float32Array.from([0.5, 0.6, 0.7, 0.8]), undefined],
    });
    expect([...merged]).toEqual([1, 10, 0.5, 0.6, 0.7, 0.8, 2, 20, 2, 20, 1, 10, 0, 0, 0, 0].map(Math.fround));
  });

  it('refuses more image tokens than features, and ids outside the vocabulary', () => {
    const imageFeatures = [Float32Array.from([0.5, 0.6])];
    expect(() =>
      mergeInputsEmbeds({ inputIds: [[3, 3]], embeddings, hiddenSize: 2, imageTokenId: 3, imageFeatures }),
    ).toThrow(/more image tokens/);
    expect(() => mergeInputsEmbeds({ inputIds: [[7]], embeddings, hiddenSize: 2 })).toThrow(/outside/);
  });
});
