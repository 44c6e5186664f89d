/** mmkit's library surface. */

// Tiny models with fixed, meaningful weights, for tests (yours too).
export { buildTinyModel, supportedTinyArchitectures, tinyModelFiles } from '../testkit/build.ts';
export type { CtcSegment, CtcSpeech, CtcSpeechOptions, CtcWord } from '../testkit/ctc-speech.ts';
export { CTC_VOCABULARY, collapseCtcPath, synthesizeCtcSpeech } from '../testkit/ctc-speech.ts';
export type { ErrorType, MmkitErrorOptions } from './errors.ts';
export { isMmkitError, MmkitError } from './errors.ts';
export type { NpyArray, NpyDtype } from './media/npy.ts';
// Media formats.
export { decodeNpy, encodeNpy, writeNpy } from './media/npy.ts';
export { encodeWav } from './media/wav.ts';
export type {
  CachedModel,
  Dtype,
  DtypeChoice,
  HubSettings,
  PullOptions,
  PullProgress,
  PullResult,
  ResolveOptions,
} from './models/hub/index.ts';
// Models: Hub client and cache.
export {
  hubSettings,
  listCachedModels,
  parseDtypeChoice,
  pullModel,
  removeCachedModel,
  resolveModelFolder,
  selectModelFiles,
} from './models/hub/index.ts';
// Capability interfaces that tasks are written against.
export type * from './models/spec/index.ts';
export type { AttributeInput, ModelOptions } from './onnx/graph-builder.ts';
// ONNX graph writing (tiny models, training graphs).
export { attribute, DEFAULT_IR_VERSION, DEFAULT_OPSET, GraphBuilder } from './onnx/graph-builder.ts';
export { encodeModel } from './onnx/model-proto.ts';
export type { ElementType, TensorValue } from './onnx/tensor.ts';
export { boolTensor, floatTensor, int32Tensor, int64Tensor, tensor } from './onnx/tensor.ts';
export type { LoadAudioOptions, LoadedAudio } from './preprocess/audio/load.ts';
// Preprocessing: audio.
export { loadAudio } from './preprocess/audio/load.ts';
export type { ResampleOptions, ResampleQuality } from './preprocess/audio/resample.ts';
export { resample } from './preprocess/audio/resample.ts';
export type { TrimOptions, TrimResult } from './preprocess/audio/trim.ts';
export { trimSilence } from './preprocess/audio/trim.ts';
export type { DroppedRow, DropReason, SplitDatasetOptions, SplitReport } from './preprocess/dataset/split.ts';
// Preprocessing: image–text datasets.
export { splitDataset } from './preprocess/dataset/split.ts';
export type { ImageProcessorConfig, ResizeRule } from './preprocess/image/config.ts';
export {
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_STD,
  clipImageConfig,
  loadImageProcessorConfig,
  parseImageProcessorConfig,
  withOutputSize,
} from './preprocess/image/config.ts';
export { decodeRgb } from './preprocess/image/decode.ts';
export { ImageWorkerPool } from './preprocess/image/pool.ts';
export type {
  ImageBatch,
  ImageBatchOptions,
  ImageInput,
  ImagePreprocessOptions,
} from './preprocess/image/preprocess.ts';
// Preprocessing: images.
export { preprocessImage, preprocessImages } from './preprocess/image/preprocess.ts';
export { probeImage, sniffImageFormat } from './preprocess/image/probe.ts';
export {
  buildClipTokenizerConfig,
  buildClipTokenizerJson,
  parseMerges,
} from './preprocess/text/clip-tokenizer-json.ts';
export type { TokenizedText, TokenizeOptions } from './preprocess/text/tokenize.ts';
// Preprocessing: text.
export { DEFAULT_MAX_LENGTH, loadTextTokenizer, TextTokenizer } from './preprocess/text/tokenize.ts';
export { version } from './version.ts';
