/**
 * Tesseract's trained data, read from the installed npm packages (`@tesseract.js-data/eng`,
 * `@tesseract.js-data/chi_sim`): never fetched. tesseract.js reads every language of a worker from
 * one `langPath` folder, while each package keeps its file in its own folder, so a worker gets a
 * temporary folder of links to the packages' files.
 */
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The LSTM models tesseract.js itself defaults to (`4.0.0_best_int`): small and accurate. */
const MODEL_FOLDER = '4.0.0_best_int';

export const KNOWN_LANGUAGES = ['eng', 'chi_sim'] as const;

const require = createRequire(import.meta.url);

/** Path of `LANGUAGE.traineddata.gz` in its installed package, or undefined when not installed. */
export function trainedDataFile(language: string): string | undefined {
  try {
    const packageJson = require.resolve(`@tesseract.js-data/${language}/package.json`);
    return join(dirname(packageJson), MODEL_FOLDER, `${language}.traineddata.gz`);
  } catch {
    return undefined;
  }
}

/** The languages whose data package is installed, in `KNOWN_LANGUAGES` order. */
export function installedLanguages(): string[] {
  return KNOWN_LANGUAGES.filter((language) => trainedDataFile(language) !== undefined);
}

/** A temporary folder holding (links to) the languages' data; `remove` deletes it. */
export async function languageFolder(
  languages: readonly string[],
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'mmkit-tessdata-'));
  try {
    for (const language of languages) {
      const source = trainedDataFile(language);
      if (source === undefined) throw new Error(`no trained data for ${language}`);
      const target = join(path, `${language}.traineddata.gz`);
      // Links where the platform allows them; a copy (a few MB) elsewhere.
      await symlink(source, target).catch(() => copyFile(source, target));
    }
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    throw error;
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
