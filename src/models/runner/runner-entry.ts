/** The runner's entry module beside this file: TypeScript sources in development, compiled JavaScript in dist. */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface RunnerEntry {
  path: string;
  /** Flags a process needs to run it (the TypeScript loader when running from sources). */
  execArgv: string[];
  /** From sources, the TypeScript loader's API module a thread registers itself (`register()`). */
  loader: string | undefined;
}

export function runnerEntry(): RunnerEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(`./child-main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSource) return { path, execArgv: [], loader: undefined };
  const require = createRequire(import.meta.url);
  // `tsx/esm/api` resolved for `require` names its CommonJS build; a thread imports the ES module beside it.
  const api = require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  return { path, execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href], loader: pathToFileURL(api).href };
}
