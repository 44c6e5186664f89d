/** What the model cache holds (`mmkit models list`) and removing a repo from it (`mmkit models rm`). */
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MmkitError } from '../../errors.ts';
import { removeAdaptedCopies } from '../adapters/adapted-folder.ts';
import { modelsRoot, readManifest, repoPaths } from './cache-layout.ts';
import { cacheWriteFailure } from './disk-errors.ts';
import { checkRepoId } from './repo-id.ts';
import { withRepoLock } from './repo-lock.ts';
import { type HubSettings, hubSettings } from './settings.ts';

export interface CachedModel {
  id: string;
  revision: string;
  commit: string;
  /** Files present in the snapshot folder. */
  files: number;
  /** Bytes those files take. */
  sizeBytes: number;
  folder: string;
  pulledAt: string;
}

export async function listCachedModels(overrides: Partial<HubSettings> = {}): Promise<CachedModel[]> {
  const { home } = hubSettings(overrides);
  const models: CachedModel[] = [];
  for (const owner of await subfolders(modelsRoot(home))) {
    for (const name of await subfolders(join(modelsRoot(home), owner))) {
      const manifestsFolder = join(modelsRoot(home), owner, name, 'manifests');
      for (const entry of await subfolders(manifestsFolder, true)) {
        if (!entry.endsWith('.json')) continue;
        const manifest = await readManifest(join(manifestsFolder, entry)).catch(() => undefined);
        if (!manifest) continue;
        const folder = repoPaths(home, manifest.id, manifest.revision).snapshot;
        let sizeBytes = 0;
        let files = 0;
        for (const path of manifest.files) {
          const size = await stat(join(folder, path)).then(
            (info) => info.size,
            () => -1,
          );
          if (size < 0) continue;
          sizeBytes += size;
          files += 1;
        }
        models.push({
          id: manifest.id,
          revision: manifest.revision,
          commit: manifest.commit,
          files,
          sizeBytes,
          folder,
          pulledAt: manifest.pulledAt,
        });
      }
    }
  }
  return models.sort((a, b) => a.id.localeCompare(b.id) || a.revision.localeCompare(b.revision));
}

/** Removes every cached revision of a repo. Waits for a pull of it in progress to finish first. */
export async function removeCachedModel(
  id: string,
  overrides: Partial<HubSettings> = {},
): Promise<{ id: string; freedBytes: number }> {
  checkRepoId(id);
  const { home } = hubSettings(overrides);
  const paths = repoPaths(home, id, 'main');
  const cached = (await listCachedModels({ home })).filter((model) => model.id === id);
  const exists = await stat(paths.root).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw new MmkitError(`${id} is not in the model cache (${modelsRoot(home)}): see mmkit models list`, {
      code: 'model_not_cached',
      type: 'not_found_error',
      param: 'model',
    });
  }
  await withRepoLock(paths.lock, {}, async () => {
    try {
      // Everything but the lock we hold; the lock goes when released.
      for (const entry of await readdir(paths.root)) {
        if (entry !== '.lock') await rm(join(paths.root, entry), { recursive: true, force: true });
      }
    } catch (error) {
      throw cacheWriteFailure(error, paths.root);
    }
  });
  await rm(paths.root, { recursive: true, force: true }).catch(() => {});
  removeAdaptedCopies(paths.root, join(home, 'adapted'));
  await rmdir(join(modelsRoot(home), id.split('/')[0]!)).catch(() => {}); // only when no other repo of that owner remains
  return { id, freedBytes: cached.reduce((total, model) => total + model.sizeBytes, 0) };
}

async function subfolders(path: string, filesToo = false): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .filter((entry) => filesToo || entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
