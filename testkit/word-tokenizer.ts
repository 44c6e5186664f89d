/**
 * A tiny word-level tokenizer in the Hugging Face `tokenizer.json` format: lower-cased words split on
 * whitespace and punctuation, one id per known word, unknown words → the unknown token, wrapped in
 * begin/end tokens. Built on the WordPiece model with whole words only, because Transformers.js's
 * tokenizer has no WordLevel model.
 */

export interface WordTokenizerOptions {
  /** Id 0. */
  beginToken: string;
  /** Id 1; also the unknown and padding token (as in CLIP). */
  endToken: string;
  /** Ids 2, 3, … in this order. */
  words: readonly string[];
}

export function wordTokenizerVocabulary(options: WordTokenizerOptions): Record<string, number> {
  const vocabulary: Record<string, number> = { [options.beginToken]: 0, [options.endToken]: 1 };
  options.words.forEach((word, index) => {
    vocabulary[word] = index + 2;
  });
  return vocabulary;
}

export function wordTokenizerJson(options: WordTokenizerOptions): object {
  const { beginToken, endToken } = options;
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const templateToken = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(beginToken, 0), special(endToken, 1)],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [templateToken(beginToken), { Sequence: { id: 'A', type_id: 0 } }, templateToken(endToken)],
      pair: [
        templateToken(beginToken),
        { Sequence: { id: 'A', type_id: 0 } },
        templateToken(endToken),
        { Sequence: { id: 'B', type_id: 0 } },
        templateToken(endToken),
      ],
      special_tokens: {
        [beginToken]: { id: beginToken, ids: [0], tokens: [beginToken] },
        [endToken]: { id: endToken, ids: [1], tokens: [endToken] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: endToken,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: wordTokenizerVocabulary(options),
    },
  };
}
