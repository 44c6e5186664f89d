/**
 * The model cache on disk. Each revision of a repo is a plain Hugging Face layout folder
 * (config.json, tokenizer.json, onnx/*.onnx …) that Transformers.js loads as a local path:
 *
 *   $MMKIT_HOME/models/<owner>/<name>/
 *     snapshots/<revision>/…        the files, exactly as in the repo
 *     manifests/<revision>.json     commit, the repo's full file list, which files are here
 *     partial/<hash>.partial        interrupted downloads, resumed with HTTP Range
 *     .lock                         held by the process pulling this repo
 *
 * Revisions with slashes (`refs/pr/1`) are stored URL-encoded as one folder name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { cacheWriteFailure } from './disk-errors.ts';
import type { RemoteFile } from './listing.ts';

export interface CacheManifest {
  id: string;
  revision: string;
  commit: string;
  endpoint: string;
  pulledAt: string;
  /** Every file of the repo at `commit`, so the cache can tell offline what a dtype would need. */
  remoteFiles: RemoteFile[];
  /** The files present (downloaded and verified) in the snapshot folder. */
  files: string[];
}

export interface RepoPaths {
  root: string;
  snapshot: string;
  manifest: string;
  partial: string;
  lock: string;
}

export function modelsRoot(home: string): string {
  return join(home, 'models');
}

export function repoPaths(home: string, id: string, revision: string): RepoPaths {
  const [owner, name] = id.split('/') as [string, string];
  const root = join(modelsRoot(home), owner, name);
  const revisionFolder = encodeURIComponent(revision);
  return {
    root,
    snapshot: join(root, 'snapshots', revisionFolder),
    manifest: join(root, 'manifests', `${revisionFolder}.json`),
    partial: join(root, 'partial'),
    lock: join(root, '.lock'),
  };
}

export async function readManifest(path: string): Promise<CacheManifest | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cacheWriteFailure(error, path, 'read');
  }
  try {
    const manifest = JSON.parse(text) as CacheManifest;
    if (typeof manifest.commit !== 'string' || !Array.isArray(manifest.files)) throw new Error('bad shape');
    return manifest;
  } catch {
    throw new MmkitError(
      `the cache manifest ${path} is damaged: remove that model with mmkit models rm and pull it again`,
      {
        code: 'cache_corrupt',
        type: 'runtime_error',
      },
    );
  }
}

/** Written to a temporary name and renamed, so a reader never sees half a manifest. */
export async function writeManifest(path: string, manifest: CacheManifest): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw cacheWriteFailure(error, path, 'write');
  }
}
