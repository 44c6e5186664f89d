/**
 * `pullModel`: brings the files a model needs from the Hub into the cache (see cache-layout.ts),
 * skipping what is already there and verified, resuming what was interrupted, and recording
 * progress in the manifest after every file so an interrupted pull loses at most one file's tail.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { type CacheManifest, readManifest, repoPaths, writeManifest } from './cache-layout.ts';
import { downloadFile } from './download-file.ts';
import { type FileSelectionOptions, selectModelFiles } from './file-selection.ts';
import { fetchRepoListing, type RemoteFile, type RepoListing } from './listing.ts';
import { checkRepoId, checkRevision } from './repo-id.ts';
import { withRepoLock } from './repo-lock.ts';
import { type HubSettings, hubSettings } from './settings.ts';

export interface PullProgress {
  phase: 'listing' | 'waiting' | 'downloading' | 'done';
  /** The file being downloaded. */
  file?: string;
  fileBytes?: number;
  fileTotal?: number;
  /** Bytes of the selected files on disk, and their total. */
  bytes: number;
  total: number;
}

export interface PullOptions extends FileSelectionOptions {
  revision?: string | undefined;
  settings?: Partial<HubSettings> | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: PullProgress) => void) | undefined;
}

export interface PullResult {
  id: string;
  revision: string;
  commit: string;
  /** The snapshot folder: a Hugging Face layout folder Transformers.js loads as a local path. */
  folder: string;
  /** Repo paths of the selected files, all present in `folder`. */
  files: string[];
  /** Bytes fetched over the network by this pull (0 when everything was cached). */
  downloadedBytes: number;
  totalBytes: number;
}

/** Files the selection itself depends on, fetched first. */
const selectionInputs = ['config.json', 'model_index.json'];

export async function pullModel(id: string, options: PullOptions = {}): Promise<PullResult> {
  const settings = hubSettings(options.settings);
  checkRepoId(id);
  const revision = checkRevision(options.revision ?? 'main');
  if (settings.offline) {
    throw new MmkitError(
      `cannot pull ${id} while MMKIT_OFFLINE=1 is set: unset it to download from ${settings.endpoint}`,
      {
        code: 'hub_offline',
        type: 'invalid_request_error',
      },
    );
  }
  const report = options.onProgress ?? (() => {});
  report({ phase: 'listing', bytes: 0, total: 0 });
  const listing = await fetchRepoListing(id, revision, settings, options.signal);
  const paths = repoPaths(settings.home, id, revision);
  const lockOptions = {
    signal: options.signal,
    onWait: () => report({ phase: 'waiting', bytes: 0, total: 0 }),
  };
  return withRepoLock(paths.lock, lockOptions, async () => {
    const manifest = await startManifest(paths, listing, settings);
    const byPath = new Map(listing.files.map((file) => [file.path, file]));
    let downloaded = 0;
    const fetchFiles = async (wanted: string[], progress: { bytes: number; total: number }) => {
      for (const path of wanted) {
        const file = byPath.get(path)!;
        if (manifest.files.includes(path) && (await sizeOnDisk(join(paths.snapshot, path))) === file.size) continue;
        const before = progress.bytes;
        await downloadFile({
          settings,
          repoId: id,
          commit: listing.commit,
          file,
          destination: join(paths.snapshot, path),
          partialFolder: paths.partial,
          signal: options.signal,
          onBytes: (fileBytes) =>
            report({
              phase: 'downloading',
              file: path,
              fileBytes,
              fileTotal: file.size,
              ...progress,
              bytes: before + fileBytes,
            }),
        });
        progress.bytes = before + file.size;
        downloaded += file.size;
        manifest.files = [...new Set([...manifest.files, path])].sort();
        await writeManifest(paths.manifest, manifest);
      }
    };
    await fetchFiles(
      selectionInputs.filter((path) => byPath.has(path)),
      { bytes: 0, total: 0 },
    );
    const config = await readJson(join(paths.snapshot, 'config.json'));
    const selected = selectModelFiles(id, listing.files, options, config);
    const total = sum(selected.map((path) => byPath.get(path)!.size));
    const present = selected.filter((path) => manifest.files.includes(path));
    const progress = { bytes: sum(present.map((path) => byPath.get(path)!.size)), total };
    await fetchFiles(selected, progress);
    manifest.pulledAt = new Date().toISOString();
    await writeManifest(paths.manifest, manifest);
    report({ phase: 'done', bytes: total, total });
    return {
      id,
      revision,
      commit: listing.commit,
      folder: paths.snapshot,
      files: selected,
      downloadedBytes: downloaded,
      totalBytes: total,
    };
  });
}

/**
 * The manifest for this pull. When the revision moved to a new commit, files that changed or
 * vanished upstream are deleted from the snapshot so it never mixes two commits.
 */
async function startManifest(
  paths: ReturnType<typeof repoPaths>,
  listing: RepoListing,
  settings: HubSettings,
): Promise<CacheManifest> {
  const previous = await readManifest(paths.manifest);
  const current = new Map(listing.files.map((file) => [file.path, file]));
  let kept: string[] = [];
  if (previous) {
    const before = new Map(previous.remoteFiles.map((file) => [file.path, file]));
    for (const path of previous.files) {
      const now = current.get(path);
      const then = before.get(path);
      if (now && then && sameContent(now, then)) kept.push(path);
      else await rm(join(paths.snapshot, path), { force: true });
    }
  }
  kept = kept.sort();
  return {
    id: listing.id,
    revision: listing.revision,
    commit: listing.commit,
    endpoint: settings.endpoint,
    pulledAt: previous?.pulledAt ?? new Date().toISOString(),
    remoteFiles: listing.files,
    files: kept,
  };
}

function sameContent(a: RemoteFile, b: RemoteFile): boolean {
  return a.size === b.size && a.sha256 === b.sha256 && a.blobId === b.blobId;
}

async function sizeOnDisk(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
