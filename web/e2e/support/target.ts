/**
 * What the browser tests talk to. Today: the contract-faithful stub (web/test-support/stub-api.ts)
 * serving the built UI. When `mmkit serve` implements docs/http-api.md, start it here instead
 * (free port, testkit models) and the same tests run against it.
 */
import { type StubApi, startStubApi } from '../../test-support/stub-api.ts';
import { distDir, ensureWebBuilt } from './web-build.ts';

export async function startTarget(): Promise<StubApi> {
  await ensureWebBuilt();
  return startStubApi({ distDir });
}
