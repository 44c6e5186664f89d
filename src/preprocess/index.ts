/** The preprocessing layer: text, images, audio, image–text datasets. */

export { RealFft, realFft } from './audio/fft.ts';
export type { LoadAudioOptions, LoadedAudio } from './audio/load.ts';
export { loadAudio } from './audio/load.ts';
export type { MelFilterBank } from './audio/mel-filters.ts';
export { hzToMel, melFilterBank, melToHz } from './audio/mel-filters.ts';
export type { Spectrogram } from './audio/mel-spectrogram.ts';
export { melSpectrogram, padOrTrimFrames, powerToDb } from './audio/mel-spectrogram.ts';
export type { AudioBatch, PreprocessAudioOptions } from './audio/preprocess-audio.ts';
export { preprocessAudio } from './audio/preprocess-audio.ts';
export type { ResampleOptions, ResampleQuality } from './audio/resample.ts';
export { resample } from './audio/resample.ts';
export type { TrimOptions, TrimResult } from './audio/trim.ts';
export { trimSilence } from './audio/trim.ts';
export { whisperLogMel, whisperLogMelWindows } from './audio/whisper-features.ts';
export type { DroppedRow, DropReason, SplitDatasetOptions, SplitReport } from './dataset/split.ts';
export { splitDataset } from './dataset/split.ts';
export type { ImageProcessorConfig, ResizeRule } from './image/config.ts';
export {
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_STD,
  clipImageConfig,
  loadImageProcessorConfig,
  parseImageProcessorConfig,
  withOutputSize,
} from './image/config.ts';
export { decodeRgb } from './image/decode.ts';
export { ImageWorkerPool } from './image/pool.ts';
export type {
  ImageBatch,
  ImageBatchOptions,
  ImageInput,
  ImagePreprocessOptions,
} from './image/preprocess.ts';
export { preprocessImage, preprocessImages } from './image/preprocess.ts';
export { probeImage, sniffImageFormat } from './image/probe.ts';
export type { TextDensity } from './image/text-density.ts';
export { MIN_TEXT_TILE_FRACTION, MIN_TEXT_TILES, textDensity } from './image/text-density.ts';
export {
  buildClipTokenizerConfig,
  buildClipTokenizerJson,
  parseMerges,
} from './text/clip-tokenizer-json.ts';
export { splitSentences } from './text/sentences.ts';
export type { TokenizedText, TokenizeOptions } from './text/tokenize.ts';
export { DEFAULT_MAX_LENGTH, loadTextTokenizer, TextTokenizer } from './text/tokenize.ts';
