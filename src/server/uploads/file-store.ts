/**
 * Files the server keeps: `<dataDir>/uploads/` (what clients sent) and `<dataDir>/outputs/` (what
 * models made). Names come from `stored-names.ts`; a client's original file name is kept only as
 * metadata in a sidecar `<name>.json`, which no URL can reach. Writes go to a temporary name first
 * and are renamed into place, so a reader never sees half a file.
 */
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { contentTypeOf, newStoredName, type StoredExtension, storedNameExtension } from './stored-names.ts';

export type StoreArea = 'uploads' | 'outputs';

export interface StoredFile {
  area: StoreArea;
  name: string;
  path: string;
  /** Where the server serves it: `/uploads/<name>` or `/outputs/<name>`. */
  url: string;
  bytes: number;
}

export interface StoredFileMetadata {
  /** The client's name for the file, as sent (never used as a path). */
  originalName?: string;
  /** The client's declared content type, as sent (never trusted). */
  declaredType?: string;
  [key: string]: unknown;
}

export interface FoundFile {
  path: string;
  bytes: number;
  contentType: string;
}

export class FileStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir);
  }

  folder(area: StoreArea): string {
    return join(this.root, area);
  }

  async init(): Promise<void> {
    await mkdir(this.folder('uploads'), { recursive: true });
    await mkdir(this.folder('outputs'), { recursive: true });
  }

  async save(
    area: StoreArea,
    bytes: Uint8Array,
    extension: StoredExtension,
    metadata: StoredFileMetadata = {},
  ): Promise<StoredFile> {
    const name = newStoredName(extension);
    const path = join(this.folder(area), name);
    const temporary = join(this.folder(area), `.${name}.partial`);
    try {
      await writeFile(temporary, bytes, { flag: 'wx' });
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const sidecar = { ...metadata, storedAs: name, bytes: bytes.length, savedAt: new Date().toISOString() };
    await writeFile(`${path}.json`, `${JSON.stringify(sidecar)}\n`, { flag: 'wx' });
    return { area, name, path, url: `/${area}/${name}`, bytes: bytes.length };
  }

  /** A stored file by name, or undefined when the name is not one we could have made or is absent. */
  async find(area: StoreArea, name: string): Promise<FoundFile | undefined> {
    const extension = storedNameExtension(name);
    if (extension === undefined) return undefined;
    const path = join(this.folder(area), name);
    const info = await lstat(path).catch(() => undefined);
    // A plain file only: a symlink planted in the folder is not followed.
    if (!info?.isFile()) return undefined;
    return { path, bytes: info.size, contentType: contentTypeOf(extension) };
  }
}
