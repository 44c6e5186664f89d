/**
 * `wav2vec2-ctc`: a tiny `Wav2Vec2ForCTC` that hears the tones of `ctc-speech.ts` as characters, in
 * the layout Transformers.js loads with `AutoModelForCTC`, `AutoProcessor` (`Wav2Vec2Processor`)
 * and the `automatic-speech-recognition` pipeline: `config.json`, `preprocessor_config.json`
 * (`Wav2Vec2FeatureExtractor`, 16 kHz, zero-mean unit-variance normalisation), `vocab.json`,
 * `tokenizer.json` (CTC decoder), `tokenizer_config.json`, `onnx/model.onnx`
 * (`input_values` [batch, samples] → `logits` [batch, frames, 32]).
 *
 * The graph: one strided convolution (kernel 400, stride 320, the real model's receptive field and
 * hop, so frame counts match wav2vec2-base exactly) whose filters are a cosine and a sine at each
 * character's tone over the last 320 taps of the window. Each tone is a whole number of periods in
 * 320 samples, so the filters are orthogonal: a frame holding one character's tone has energy at
 * that character only. Character logits are log(energy + ε); the blank's logit is a fixed
 * log(threshold), so silence (energy 0) is blank. Scaling the audio only shifts the tone logits, so
 * the path survives the feature extractor's normalisation.
 */
import { GraphBuilder } from '../src/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, tensor } from '../src/onnx/tensor.ts';
import {
  CTC_FRAME_HOP,
  CTC_LEAD_IN,
  CTC_RECEPTIVE_FIELD,
  CTC_SAMPLE_RATE,
  CTC_TONE_IDS,
  CTC_VOCABULARY,
  ctcToneFrequency,
} from './ctc-speech.ts';
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';

const VOCABULARY_SIZE = CTC_VOCABULARY.length;
/** Tone energy (amplitude²) above which a frame is a character: amplitude ≈ 0.1. */
const SILENCE_THRESHOLD = 0.01;
/** Keeps log() finite on silent frames. */
const ENERGY_FLOOR = 1e-6;
/** `<s>`, `</s>` and `<unk>` are never emitted. */
const NEVER_LOGIT = -30;

/** [2·tones, 1, 400]: cosines then sines, scaled so a tone of amplitude a has energy a². */
function toneFilters(): Float32Array {
  const tones = CTC_TONE_IDS.length;
  const filters = new Float32Array(2 * tones * CTC_RECEPTIVE_FIELD);
  const window = CTC_RECEPTIVE_FIELD - CTC_LEAD_IN;
  const scale = 2 / window;
  CTC_TONE_IDS.forEach((id, tone) => {
    const frequency = ctcToneFrequency(id);
    for (let tap = 0; tap < window; tap++) {
      const angle = (2 * Math.PI * frequency * tap) / CTC_SAMPLE_RATE;
      filters[tone * CTC_RECEPTIVE_FIELD + CTC_LEAD_IN + tap] = scale * Math.cos(angle);
      filters[(tones + tone) * CTC_RECEPTIVE_FIELD + CTC_LEAD_IN + tap] = scale * Math.sin(angle);
    }
  });
  return filters;
}

export function buildWav2Vec2CtcModel(): Uint8Array {
  const tones = CTC_TONE_IDS.length;
  const graph = new GraphBuilder('wav2vec2_ctc');
  const input = graph.input('input_values', 'float32', ['batch_size', 'sequence_length']);
  const waveform = graph.op('Unsqueeze', [input, graph.constant(int64Tensor([1]))]);
  const projections = graph.op(
    'Conv',
    [
      waveform,
      graph.initializer(
        'feature_extractor.tone_filters.weight',
        tensor('float32', toneFilters(), [2 * tones, 1, CTC_RECEPTIVE_FIELD]),
      ),
    ],
    { kernel_shape: [CTC_RECEPTIVE_FIELD], strides: [CTC_FRAME_HOP] },
  );
  // [batch, 2·tones, frames] → energy per tone: cos² + sin².
  const squared = graph.op('Mul', [projections, projections]);
  const pairs = graph.op('Reshape', [squared, graph.constant(int64Tensor([0, 2, tones, -1]))]);
  const energy = graph.op('ReduceSum', [pairs, graph.constant(int64Tensor([1]))], { keepdims: 0 });
  const toneLogits = graph.op('Log', [graph.op('Add', [energy, graph.constant(floatTensor([ENERGY_FLOOR], []))])]);

  // Logits for ids 0–3 (blank, <s>, </s>, <unk>) are constants, broadcast to [batch, 4, frames].
  const specialLogits = graph.constant(
    floatTensor([Math.log(SILENCE_THRESHOLD), NEVER_LOGIT, NEVER_LOGIT, NEVER_LOGIT], [1, 4, 1]),
    'special_logits',
  );
  const framesLike = graph.op('ReduceSum', [toneLogits, graph.constant(int64Tensor([1]))], { keepdims: 1 });
  const zeros = graph.op('Mul', [framesLike, graph.constant(floatTensor([0], []))]);
  const special = graph.op('Add', [specialLogits, zeros]);
  const allLogits = graph.op('Concat', [special, toneLogits], { axis: 1 });
  graph.node('Transpose', [allLogits], ['logits'], { perm: [0, 2, 1] });
  graph.output('logits', 'float32', ['batch_size', 'frames', VOCABULARY_SIZE]);
  return graph.toBytes();
}

function tokenizerJson(): object {
  const vocabulary = Object.fromEntries(CTC_VOCABULARY.map((token, id) => [token, id]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    // `<pad>` is the CTC blank: not marked special, so `decode(…, {skip_special_tokens: true})` keeps it
    // until the CTC decoder has merged repeats (dropping it first would turn "LL" into "L").
    added_tokens: CTC_VOCABULARY.slice(0, 4).map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: true,
      rstrip: true,
      normalized: false,
      special: id !== 0,
    })),
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '|' },
    pre_tokenizer: { type: 'Split', pattern: { Regex: '' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'CTC', pad_token: '<pad>', word_delimiter_token: '|', cleanup: true },
    model: { vocab: vocabulary },
  };
}

export function wav2vec2CtcFiles(): ModelFiles {
  const config = {
    architectures: ['Wav2Vec2ForCTC'],
    model_type: 'wav2vec2',
    vocab_size: VOCABULARY_SIZE,
    pad_token_id: 0,
    bos_token_id: 1,
    eos_token_id: 2,
    // wav2vec2-base's convolutional feature encoder: receptive field 400, hop 320.
    conv_dim: [512, 512, 512, 512, 512, 512, 512],
    conv_kernel: [10, 3, 3, 3, 3, 2, 2],
    conv_stride: [5, 2, 2, 2, 2, 2, 2],
    feat_extract_norm: 'group',
    do_stable_layer_norm: false,
    hidden_size: 2 * CTC_TONE_IDS.length,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: 0,
    ctc_loss_reduction: 'sum',
    'transformers.js_config': { dtype: 'fp32' },
  };
  const preprocessorConfig = {
    processor_class: 'Wav2Vec2Processor',
    feature_extractor_type: 'Wav2Vec2FeatureExtractor',
    feature_size: 1,
    sampling_rate: CTC_SAMPLE_RATE,
    do_normalize: true,
    padding_side: 'right',
    padding_value: 0,
    return_attention_mask: false,
  };
  const tokenizerConfig = {
    tokenizer_class: 'Wav2Vec2CTCTokenizer',
    processor_class: 'Wav2Vec2Processor',
    bos_token: '<s>',
    eos_token: '</s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    word_delimiter_token: '|',
    replace_word_delimiter_char: ' ',
    do_lower_case: false,
    do_normalize: true,
    return_attention_mask: false,
    clean_up_tokenization_spaces: true,
    model_max_length: 1_000_000,
  };
  return {
    'config.json': jsonFile(config),
    'preprocessor_config.json': jsonFile(preprocessorConfig),
    'vocab.json': jsonFile(Object.fromEntries(CTC_VOCABULARY.map((token, id) => [token, id]))),
    'tokenizer.json': jsonFile(tokenizerJson()),
    'tokenizer_config.json': jsonFile(tokenizerConfig),
    'special_tokens_map.json': jsonFile({
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
    }),
    'onnx/model.onnx': buildWav2Vec2CtcModel(),
    'README.md': [
      '# mmkit tiny wav2vec2-ctc',
      '',
      "Built by `mmkit testkit build wav2vec2-ctc`. A Wav2Vec2ForCTC with wav2vec2-base-960h's character",
      'vocabulary that hears tones as characters (`|` 300 Hz, `E` 400 Hz, … `Z` 3000 Hz; silence is the',
      "blank), one frame per 20 ms. `synthesizeCtcSpeech` in mmkit's testkit writes matching audio. For tests only.",
      '',
    ].join('\n'),
  };
}
