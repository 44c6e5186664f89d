/** Models: capability interfaces, the Hub cache, providers. */

export type { Capability, MmkitConfig } from './config.ts';
export { CAPABILITIES, loadConfig, mmkitHome, parseConfig } from './config.ts';
export { DEFAULT_MODELS } from './default-models.ts';
export type { DefaultRegistryOptions } from './default-registry.ts';
export { createDefaultRegistry } from './default-registry.ts';
export type {
  CachedModel,
  Dtype,
  DtypeChoice,
  HubSettings,
  PullOptions,
  PullProgress,
  PullResult,
  ResolveOptions,
} from './hub/index.ts';
export {
  hubSettings,
  listCachedModels,
  parseDtypeChoice,
  pullModel,
  removeCachedModel,
  resolveModelFolder,
  selectModelFiles,
} from './hub/index.ts';
export { parseModelId } from './model-id.ts';
export * from './providers/espeak/index.ts';
export type { OnnxCtcModelOptions } from './providers/onnx/ctc-model.ts';
export { OnnxCtcModel } from './providers/onnx/ctc-model.ts';
export type {
  DiffusionTimings,
  OnnxImageGenerationOptions,
} from './providers/onnx/diffusion/onnx-image-generation-model.ts';
export { OnnxImageGenerationModel } from './providers/onnx/diffusion/onnx-image-generation-model.ts';
export type { SchedulerConfig } from './providers/onnx/diffusion/schedulers/config.ts';
export {
  createScheduler,
  resolveSchedulerName,
  SCHEDULER_ALIASES,
} from './providers/onnx/diffusion/schedulers/select.ts';
export * from './providers/onnx/index.ts';
export * from './providers/openai/index.ts';
export * from './providers/tesseract/index.ts';
export type { CapabilityModels, LoadContext, LoadOptions, ModelEntry, ModelProvider } from './registry.ts';
export { ModelRegistry } from './registry.ts';
export * from './runner/index.ts';
export type * from './spec/index.ts';
