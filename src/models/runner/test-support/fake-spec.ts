/** Helpers for runner tests: specs for the fake factory, chat requests, and process checks. */
import { fileURLToPath } from 'node:url';
import type { ChatRequest } from '../../spec/index.ts';
import type { Capability } from '../capabilities.ts';
import type { RunnerSpec } from '../runner-spec.ts';
import type { FakeModelOptions } from './fake-models.ts';

export const fakeFactoryModule = fileURLToPath(new URL('./fake-models.ts', import.meta.url));

export function fakeSpec<C extends Capability = 'chat'>(
  key: string,
  options: FakeModelOptions = {},
  overrides: Partial<RunnerSpec> & { capability?: C } = {},
): RunnerSpec & { capability: C } {
  return { key, capability: 'chat' as C, factoryModule: fakeFactoryModule, options, ...overrides };
}

export function chatRequest(text: string, signal?: AbortSignal): ChatRequest {
  return { messages: [{ role: 'user', content: text }], maxNewTokens: 64, temperature: 0, topP: 1, signal };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `condition` holds; throws with `what` after `timeoutMs` (a hang guard, not a timing check). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
