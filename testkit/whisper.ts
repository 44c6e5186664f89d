/**
 * `whisper`: a tiny Whisper that transcribes tone "speech" (see `whisper-speech.ts`), in the layout
 * Transformers.js loads as `WhisperForConditionalGeneration` for the `automatic-speech-recognition`
 * pipeline: `config.json`, `generation_config.json` (languages, tasks, timestamp tokens),
 * `preprocessor_config.json` (WhisperFeatureExtractor, 80 mels), `tokenizer.json`,
 * `tokenizer_config.json`, `onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx`.
 *
 * Each word is a tone; the transcript is the words heard, in order (" one two three"), in Chinese
 * ("一二三") when the language is `zh` and the task is `transcribe`, in English otherwise. With
 * `return_timestamps` each word is a segment whose start/end are the tone's start/end to within
 * about 0.04 s. Silence gives an empty transcript. Long audio with `chunk_length_s` transcribes
 * right; with timestamps too, Transformers.js's chunk merging joins the last segment of a chunk
 * with the next chunk's words (one chunk spanning both). Word-level timestamps
 * (`return_timestamps: "word"`) are not supported: the decoder has no cross-attention outputs.
 */
import type { ModelFiles } from './model-files.ts';
import { jsonFile } from './model-files.ts';
import { buildWhisperDecoder, WHISPER_HEAD_DIM, WHISPER_HEADS } from './whisper-decoder.ts';
import { buildWhisperEncoder, WHISPER_D_MODEL, WHISPER_SOURCE_POSITIONS } from './whisper-encoder.ts';
import {
  NUM_MEL_BINS,
  WHISPER_TOKENS,
  WHISPER_VOCABULARY_SIZE,
  whisperTokenizerConfig,
  whisperTokenizerJson,
} from './whisper-vocabulary.ts';

const MAX_TARGET_POSITIONS = 448;

function config(): object {
  const tokens = WHISPER_TOKENS;
  return {
    architectures: ['WhisperForConditionalGeneration'],
    model_type: 'whisper',
    is_encoder_decoder: true,
    vocab_size: WHISPER_VOCABULARY_SIZE,
    num_mel_bins: NUM_MEL_BINS,
    d_model: WHISPER_D_MODEL,
    encoder_layers: 1,
    encoder_attention_heads: WHISPER_HEADS,
    encoder_ffn_dim: 0,
    decoder_layers: 1,
    decoder_attention_heads: WHISPER_HEADS,
    decoder_ffn_dim: 0,
    head_dim: WHISPER_HEAD_DIM,
    max_source_positions: WHISPER_SOURCE_POSITIONS,
    max_target_positions: MAX_TARGET_POSITIONS,
    decoder_start_token_id: tokens.startOfTranscript,
    bos_token_id: tokens.endOfText,
    eos_token_id: tokens.endOfText,
    pad_token_id: tokens.endOfText,
    begin_suppress_tokens: [],
    suppress_tokens: [],
    use_cache: true,
    median_filter_width: 7,
    torch_dtype: 'float32',
    'transformers.js_config': { dtype: 'fp32' },
  };
}

function generationConfig(): object {
  const tokens = WHISPER_TOKENS;
  return {
    alignment_heads: [[0, 0]],
    begin_suppress_tokens: [],
    bos_token_id: tokens.endOfText,
    decoder_start_token_id: tokens.startOfTranscript,
    eos_token_id: tokens.endOfText,
    pad_token_id: tokens.endOfText,
    forced_decoder_ids: [
      [1, null],
      [2, tokens.transcribe],
    ],
    is_multilingual: true,
    lang_to_id: tokens.languages,
    task_to_id: { transcribe: tokens.transcribe, translate: tokens.translate },
    no_timestamps_token_id: tokens.noTimestamps,
    prev_sot_token_id: tokens.startOfPrevious,
    max_initial_timestamp_index: 50,
    max_length: MAX_TARGET_POSITIONS,
    return_timestamps: false,
    suppress_tokens: [],
  };
}

function preprocessorConfig(): object {
  return {
    chunk_length: 30,
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: NUM_MEL_BINS,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: 'right',
    padding_value: 0,
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    sampling_rate: 16000,
  };
}

export function whisperFiles(): ModelFiles {
  return {
    'config.json': jsonFile(config()),
    'generation_config.json': jsonFile(generationConfig()),
    'preprocessor_config.json': jsonFile(preprocessorConfig()),
    'tokenizer.json': jsonFile(whisperTokenizerJson()),
    'tokenizer_config.json': jsonFile(whisperTokenizerConfig()),
    'onnx/encoder_model.onnx': buildWhisperEncoder(),
    'onnx/decoder_model_merged.onnx': buildWhisperDecoder(),
    'README.md': [
      '# mmkit tiny whisper',
      '',
      'Built by `mmkit testkit build whisper`. Hears pure tones as words (one … six, see',
      '`testkit/whisper-vocabulary.ts` for the frequencies) and transcribes them in order, in Chinese',
      'for `language: "zh"`, with segment timestamps on request. For tests only.',
      '',
    ].join('\n'),
  };
}
