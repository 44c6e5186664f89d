/** A tiny model as files in memory, and writing them into a folder without leaving partial files. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Relative path (with `/`) → contents. */
export type ModelFiles = Record<string, string | Uint8Array>;

export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes each file through a temporary name and a rename, so a reader never sees half a file. */
export async function writeModelFiles(directory: string, files: ModelFiles): Promise<string[]> {
  const written: string[] = [];
  for (const [relativePath, contents] of Object.entries(files)) {
    const target = join(directory, ...relativePath.split('/'));
    const temporary = `${target}.tmp-${process.pid}`;
    await mkdir(dirname(target), { recursive: true });
    try {
      await writeFile(temporary, contents);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    written.push(relativePath);
  }
  return written;
}
