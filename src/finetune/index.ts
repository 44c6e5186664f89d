/** Fine-tuning: gradient graphs over ONNX, the decoder training graph with LoRA, and the optimizer. */
export type { GradientGraph, GradientOptions } from './graph/gradient-builder.ts';
export { appendGradients } from './graph/gradient-builder.ts';
export { IGNORE_INDEX, maskedCrossEntropy } from './graph/masked-cross-entropy.ts';
export type { BackwardContext, BackwardStep, OperatorRule, ShapeContext } from './graph/operator-rule.ts';
export { differentiableOperators, operatorRules } from './graph/rules/index.ts';
export type { QuantizationFormat, QuantizedMatrix } from './model/block-quantization.ts';
export {
  DEFAULT_BLOCK_SIZE,
  dequantizeMatrix,
  INT4_TABLE,
  NF4_TABLE,
  parseQuantizationFormat,
  quantizeMatrix,
} from './model/block-quantization.ts';
export type {
  DecoderArchitecture,
  DecoderConfig,
  LoraConfig,
  LoraTarget,
  RopeScaling,
} from './model/decoder-config.ts';
export {
  decoderWeightShapes,
  loraScale,
  projectionName,
  projectionShapes,
  validateDecoderConfig,
} from './model/decoder-config.ts';
export type { FloatType, TrainableTensor } from './model/graph-context.ts';
export { checkpointModuleName } from './model/graph-context.ts';
export { decoderConfigFromJson, readDecoderConfig, SUPPORTED_DECODERS } from './model/hub-config.ts';
export type { InferenceGraphOptions } from './model/inference-graph.ts';
export { buildInferenceGraph, exportEmbedTokensModel, exportInferenceModel } from './model/inference-graph.ts';
export type { ModelWeights } from './model/model-weights.ts';
export { detectModulePrefix, openModelWeights } from './model/model-weights.ts';
export type { FrozenQuantization } from './model/quantized-weights.ts';
export { blockSizeFor, QUANTIZED_SESSION_OPTIONS } from './model/quantized-weights.ts';
export type { TrainingGraph, TrainingGraphOptions } from './model/training-graph.ts';
export { buildTrainingGraph } from './model/training-graph.ts';
export type { WeightSource } from './model/weight-source.ts';
export { randomWeights } from './model/weight-source.ts';
export type { AccumulatedStep } from './train/accumulate.ts';
export { accumulateGradients } from './train/accumulate.ts';
export type { AdamWOptions, AdamWState } from './train/adamw.ts';
export { AdamW } from './train/adamw.ts';
export type { Checkpoint, CheckpointState } from './train/checkpoint.ts';
export { checkpointFolder, latestCheckpoint, loadCheckpoint, saveCheckpoint } from './train/checkpoint.ts';
export type { CosineSchedule } from './train/cosine-schedule.ts';
export { cosineSchedule, learningRateAt } from './train/cosine-schedule.ts';
export { dropoutMask } from './train/dropout-mask.ts';
export { clipGradientNorm } from './train/gradient-clipping.ts';
export { mergeInputsEmbeds } from './train/inputs-embeds.ts';
export { initialLoraTensors } from './train/lora-init.ts';
export type { Evaluation, LoraTrainerOptions, StepResult } from './train/lora-trainer.ts';
export { LoraTrainer } from './train/lora-trainer.ts';
export type { TokenBatch, TrainingSequence } from './train/token-batch.ts';
export { batchFeeds, causalBatch } from './train/token-batch.ts';
export type { TrainingExample } from './train/training-example.ts';
export { truncateExample } from './train/training-example.ts';
export type {
  TrainingData,
  TrainingHistory,
  TrainingLogEntry,
  TrainingProgress,
  TrainLoraOptions,
  TrainLoraResult,
} from './train/training-loop.ts';
export { evaluateLoss, trainLora } from './train/training-loop.ts';
export type { LoraTrainingSettings } from './train/training-settings.ts';
export { LORA_TARGETS, parseTargets, resolveTrainingSettings, TRAINING_DEFAULTS } from './train/training-settings.ts';
