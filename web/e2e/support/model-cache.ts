/**
 * Puts a model into the server's cache as if `mmkit pull` had fetched it earlier: the tiny echo
 * `llm`'s files in a snapshot folder, with the manifest the cache inventory reads.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { repoPaths, writeManifest } from '../../../src/models/hub/cache-layout.ts';
import { buildTinyModel } from '../../../testkit/build.ts';

export async function seedCachedModel(home: string, id: string): Promise<string> {
  const paths = repoPaths(home, id, 'main');
  const { files } = await buildTinyModel('llm', paths.snapshot);
  const remoteFiles = await Promise.all(
    files.map(async (path) => ({ path, size: (await stat(join(paths.snapshot, path))).size, lfs: false })),
  );
  await writeManifest(paths.manifest, {
    id,
    revision: 'main',
    commit: '0123456789abcdef0123456789abcdef01234567',
    endpoint: 'https://huggingface.co',
    pulledAt: new Date().toISOString(),
    remoteFiles,
    files,
  });
  return paths.root;
}
