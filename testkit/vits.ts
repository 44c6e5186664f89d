/**
 * `vits`: a tiny text-to-speech model in the layout Transformers.js loads as `VitsModel` for the
 * `text-to-speech` pipeline (MMS-TTS style): `config.json` (`model_type: "vits"`, 16 kHz),
 * `tokenizer.json` + `tokenizer_config.json` (`VitsTokenizer`) + `vocab.json`, `onnx/model.onnx`
 * (`input_ids`, `attention_mask` → `waveform` [batch, samples]).
 *
 * Like VITS, it predicts a duration per token and expands tokens to samples (a length regulator:
 * cumulative durations, then each sample finds its token). Each letter sounds for 0.1 s as a pure
 * tone, a = 300 Hz, b = 400 Hz, … z = 2800 Hz; a space is 0.1 s of silence; the blank tokens the
 * tokenizer puts between characters (VITS's `add_blank`) last 0 s. So "hi there" is 0.8 s long and
 * its first 0.1 s is a 1000 Hz tone.
 *
 * The tokenizer lower-cases, drops characters outside ` 'a-z`, and intersperses the blank `_`
 * (id 0) before, between and after the characters, as MMS-TTS's tokenizer does.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor } from '../src/onnx/tensor.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';

export const VITS_SAMPLE_RATE = 16000;
/** Samples per letter or space. */
export const VITS_CHARACTER_SAMPLES = 1600;
const BLANK = '_';
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Id order: blank, space, apostrophe, letters. */
const CHARACTERS = [BLANK, ' ', "'", ...LETTERS];
const AMPLITUDE = 0.3;

/** The tone (Hz) a letter sounds as; 0 for anything else (silence). */
export function vitsCharacterFrequency(character: string): number {
  const index = LETTERS.indexOf(character);
  return index < 0 || character.length !== 1 ? 0 : 300 + 100 * index;
}

function durationOf(character: string): number {
  return character === BLANK || character === "'" ? 0 : VITS_CHARACTER_SAMPLES;
}

export function vitsVocabulary(): Record<string, number> {
  return Object.fromEntries(CHARACTERS.map((character, id) => [character, id]));
}

export function buildVitsModel(): Uint8Array {
  const graph = new GraphBuilder('vits');
  const inputIds = graph.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = graph.input('attention_mask', 'int64', ['batch_size', 'sequence_length']);
  const table = (name: string, values: number[]) => graph.initializer(name, floatTensor(values));
  const durations = graph.op('Mul', [
    graph.op('Gather', [
      graph.initializer('duration_predictor.samples', int64Tensor(CHARACTERS.map(durationOf))),
      inputIds,
    ]),
    attentionMask,
  ]);
  const frequencies = graph.op('Gather', [
    table('decoder.frequency', CHARACTERS.map(vitsCharacterFrequency)),
    inputIds,
  ]);
  const amplitudes = graph.op('Gather', [
    table(
      'decoder.amplitude',
      CHARACTERS.map((character) => (vitsCharacterFrequency(character) > 0 ? AMPLITUDE : 0)),
    ),
    inputIds,
  ]);

  // Length regulator: sample n belongs to the first token whose cumulative end is after n.
  const ends = graph.op('CumSum', [durations, graph.constant(int64Tensor([1], []))]);
  const total = graph.op('ReduceMax', [ends], { keepdims: 0 });
  const samples = graph.op('Range', [
    graph.constant(int64Tensor([0], [])),
    total,
    graph.constant(int64Tensor([1], [])),
  ]);
  const unsqueeze = (value: string, axes: number[]) =>
    graph.op('Unsqueeze', [value, graph.constant(int64Tensor(axes))]);
  const passed = graph.op('Cast', [graph.op('GreaterOrEqual', [unsqueeze(samples, [0, 2]), unsqueeze(ends, [1])])], {
    to: 7,
  });
  const lastToken = graph.op('Sub', [
    graph.op('Gather', [graph.op('Shape', [inputIds]), graph.constant(int64Tensor([1], []))], { axis: 0 }),
    graph.constant(int64Tensor([1], [])),
  ]);
  // Past the end of a shorter item in a batch the index runs off the end: clamp to its last (blank) token.
  const tokenOfSample = graph.op('Min', [
    graph.op('ReduceSum', [passed, graph.constant(int64Tensor([-1]))], { keepdims: 0 }),
    lastToken,
  ]);
  const sampleFrequency = graph.op('GatherElements', [frequencies, tokenOfSample], { axis: 1 });
  const sampleAmplitude = graph.op('GatherElements', [amplitudes, tokenOfSample], { axis: 1 });
  const time = graph.op('Mul', [
    graph.op('Cast', [samples], { to: 1 }),
    graph.constant(floatTensor([(2 * Math.PI) / VITS_SAMPLE_RATE], [])),
  ]);
  graph.node('Mul', [sampleAmplitude, graph.op('Sin', [graph.op('Mul', [sampleFrequency, time])])], ['waveform']);
  graph.output('waveform', 'float32', ['batch_size', 'num_waveform_samples']);
  return graph.toBytes();
}

function tokenizerJson(): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Lowercase' },
        { type: 'Replace', pattern: { Regex: "[^ 'a-z]" }, content: '' },
        // An empty match at every position: "hi" → "_h_i_" (VITS's add_blank).
        { type: 'Replace', pattern: { Regex: '(?:)' }, content: BLANK },
      ],
    },
    pre_tokenizer: { type: 'Split', pattern: { Regex: '.' }, behavior: 'Isolated', invert: true },
    post_processor: null,
    decoder: null,
    model: {
      type: 'WordPiece',
      unk_token: BLANK,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vitsVocabulary(),
    },
  };
}

export function vitsFiles(): ModelFiles {
  const config = {
    architectures: ['VitsModel'],
    model_type: 'vits',
    sampling_rate: VITS_SAMPLE_RATE,
    vocab_size: CHARACTERS.length,
    hidden_size: 1,
    num_speakers: 1,
    speaking_rate: 1,
    noise_scale: 0,
    noise_scale_duration: 0,
    pad_token_id: 0,
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'fp32' },
  };
  const tokenizerConfig = {
    tokenizer_class: 'VitsTokenizer',
    add_blank: true,
    normalize: true,
    phonemize: false,
    is_uroman: false,
    language: 'eng',
    pad_token: BLANK,
    unk_token: BLANK,
    model_max_length: 1000000,
    clean_up_tokenization_spaces: false,
  };
  return {
    'config.json': jsonFile(config),
    'tokenizer.json': jsonFile(tokenizerJson()),
    'tokenizer_config.json': jsonFile(tokenizerConfig),
    'vocab.json': jsonFile(vitsVocabulary()),
    'onnx/model.onnx': buildVitsModel(),
    'README.md': [
      '# mmkit tiny vits',
      '',
      'Built by `mmkit testkit build vits`. Speaks each letter as a 0.1 s tone (a = 300 Hz, b = 400 Hz,',
      '… z = 2800 Hz) and each space as 0.1 s of silence, at 16 kHz. For tests only.',
      '',
    ].join('\n'),
  };
}
