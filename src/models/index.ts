/** Models: capability interfaces, the Hub cache, providers. */
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
export * from './providers/openai/index.ts';
export type * from './spec/index.ts';
