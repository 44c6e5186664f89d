/** The Hugging Face Hub client and model cache: what the rest of mmkit (and library users) import. */
export type { CachedModel } from './cache-inventory.ts';
export { listCachedModels, removeCachedModel } from './cache-inventory.ts';
export type { Dtype, DtypeChoice, FileSelectionOptions, ListedFile } from './file-selection.ts';
export { parseDtypeChoice, selectModelFiles } from './file-selection.ts';
export type { RemoteFile, RepoListing } from './listing.ts';
export { fetchRepoListing } from './listing.ts';
export type { PullOptions, PullProgress, PullResult } from './pull.ts';
export { pullModel } from './pull.ts';
export type { ResolveOptions } from './resolve-model-folder.ts';
export { pullCommand, resolveModelFolder } from './resolve-model-folder.ts';
export type { HubSettings } from './settings.ts';
export { hubSettings } from './settings.ts';
