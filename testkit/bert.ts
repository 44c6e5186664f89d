/**
 * `bert`: a tiny sentence-embedding encoder in the layout sentence-transformers publishes (BERT
 * `config.json`, a WordPiece `tokenizer.json` with BERT's normalizer, pre-tokenizer and
 * `[CLS] … [SEP]` template, `onnx/model.onnx` taking `input_ids`, `attention_mask` and
 * `token_type_ids` and giving `last_hidden_state`, `modules.json` and `1_Pooling/config.json` asking
 * for mean pooling, then normalisation).
 *
 * Its embedding space is topics: each known word embeds on its topic's axis (vehicles, animals,
 * food, weather), with a smaller share on an axis of its own, so "car" and "automobile" are close
 * and "car" and "kitten" are not. Other words, `[CLS]`, `[SEP]` and subword endings (`##s`) embed as
 * zeros; `[PAD]` embeds on an axis no word uses, so pooling that forgets the attention mask shows.
 * One layer stands in for attention: every real token's output is its embedding plus the mean
 * embedding of the sentence's real tokens (the mask decides which), so the `[CLS]` output is the
 * sentence's mean too, as CLS-pooled models are trained to make it.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { int64Tensor, tensor } from '../src/onnx/tensor.ts';
import { jsonFile, type ModelFiles } from './model-files.ts';
import { WeightMatrix } from './weights.ts';

export const BERT_TOPICS: Readonly<Record<string, readonly string[]>> = {
  vehicle: ['car', 'automobile', 'truck', 'bus', 'vehicle', 'drive', 'road'],
  animal: ['cat', 'kitten', 'dog', 'puppy', 'animal', 'pet', 'meow'],
  food: ['apple', 'bread', 'pizza', 'food', 'fruit', 'eat', 'dinner'],
  weather: ['rain', 'sky', 'cloud', 'weather', 'sunny', 'storm', 'wind'],
};
/** Words that carry no topic (they embed as zeros), and subword endings. */
const PLAIN_WORDS = ['a', 'an', 'the', 'is', 'on', 'in', 'my', 'of', 'and', 'to', 'it', 'very', '.', ',', '!', '?'];
const SUFFIXES = ['##s', '##es', '##ing'];
const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

const TOPIC_NAMES = Object.keys(BERT_TOPICS);
const TOPIC_WORDS = Object.values(BERT_TOPICS).flat();
/** Topic axes, then one axis per topic word, then the padding axis. */
const HIDDEN_SIZE = TOPIC_NAMES.length + TOPIC_WORDS.length + 1;
const PAD_AXIS = HIDDEN_SIZE - 1;
/** How much of a word's embedding is its own rather than its topic's. */
const OWN_SHARE = 0.35;

export const BERT_VOCABULARY: readonly string[] = [...SPECIAL_TOKENS, ...TOPIC_WORDS, ...PLAIN_WORDS, ...SUFFIXES];
const VOCABULARY_SIZE = BERT_VOCABULARY.length;
const ID = Object.fromEntries(BERT_VOCABULARY.map((token, id) => [token, id]));

function wordEmbeddings(): Float32Array {
  const table = new WeightMatrix(VOCABULARY_SIZE, HIDDEN_SIZE);
  let ownAxis = TOPIC_NAMES.length;
  for (const [topic, words] of TOPIC_NAMES.map((name, axis) => [axis, BERT_TOPICS[name]!] as const)) {
    for (const word of words) {
      table.set(ID[word]!, topic, 1);
      table.set(ID[word]!, ownAxis++, OWN_SHARE);
    }
  }
  table.set(ID['[PAD]']!, PAD_AXIS, 1);
  return table.data;
}

function encoder(): Uint8Array {
  const graph = new GraphBuilder('tiny_bert');
  const inputIds = graph.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const tokenTypeIds = graph.input('token_type_ids', 'int64', ['batch_size', 'sequence_length']);
  const words = graph.op('Gather', [
    graph.initializer(
      'embeddings.word_embeddings.weight',
      tensor('float32', wordEmbeddings(), [VOCABULARY_SIZE, HIDDEN_SIZE]),
    ),
    inputIds,
  ]);
  // BERT adds a segment embedding; both segments' are zero here, but the input is read as BERT's is.
  const segments = graph.op('Gather', [
    graph.initializer(
      'embeddings.token_type_embeddings.weight',
      tensor('float32', new Float32Array(2 * HIDDEN_SIZE), [2, HIDDEN_SIZE]),
    ),
    tokenTypeIds,
  ]);
  const embedded = graph.op('Add', [words, segments]);
  // The "attention" layer: add the mean embedding of the real tokens to every position.
  const mask = graph.op('Unsqueeze', [graph.op('Cast', [attentionMask], { to: 1 }), graph.constant(int64Tensor([2]))]);
  const axis = graph.constant(int64Tensor([1]));
  const sum = graph.op('ReduceSum', [graph.op('Mul', [embedded, mask]), axis], { keepdims: 1 });
  const count = graph.op('Max', [
    graph.op('ReduceSum', [mask, axis], { keepdims: 1 }),
    graph.constant(tensor('float32', new Float32Array([1]), [])),
  ]);
  graph.node('Add', [embedded, graph.op('Div', [sum, count])], ['last_hidden_state']);
  graph.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', HIDDEN_SIZE]);
  return graph.toBytes();
}

/** BERT's uncased WordPiece tokenizer, as `tokenizers` writes it, over the small vocabulary. */
function tokenizerJson(): object {
  const special = (content: string) => ({
    id: ID[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const specialToken = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [specialToken('[CLS]', 0), { Sequence: { id: 'A', type_id: 0 } }, specialToken('[SEP]', 0)],
      pair: [
        specialToken('[CLS]', 0),
        { Sequence: { id: 'A', type_id: 0 } },
        specialToken('[SEP]', 0),
        { Sequence: { id: 'B', type_id: 1 } },
        specialToken('[SEP]', 1),
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((token) => [token, { id: token, ids: [ID[token]], tokens: [token] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ID,
    },
  };
}

export function bertFiles(): ModelFiles {
  return {
    'config.json': jsonFile({
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: HIDDEN_SIZE,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      intermediate_size: HIDDEN_SIZE,
      hidden_act: 'gelu',
      max_position_embeddings: 512,
      type_vocab_size: 2,
      vocab_size: VOCABULARY_SIZE,
      pad_token_id: ID['[PAD]'],
      layer_norm_eps: 1e-12,
      transformers_version: '4.44.0',
    }),
    'tokenizer.json': jsonFile(tokenizerJson()),
    'tokenizer_config.json': jsonFile({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 256,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      clean_up_tokenization_spaces: true,
    }),
    'special_tokens_map.json': jsonFile({
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
    }),
    'vocab.txt': `${BERT_VOCABULARY.join('\n')}\n`,
    'modules.json': jsonFile([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
    '1_Pooling/config.json': jsonFile({
      word_embedding_dimension: HIDDEN_SIZE,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    }),
    'sentence_bert_config.json': jsonFile({ max_seq_length: 256, do_lower_case: false }),
    'onnx/model.onnx': encoder(),
  };
}
