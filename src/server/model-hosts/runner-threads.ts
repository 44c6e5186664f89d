/**
 * How many intra-op threads each runner's ONNX Runtime sessions get by default: the cores shared
 * by the most runners that may be loaded at once, at least one. ONNX Runtime's own default (a
 * thread per core in every session) oversubscribes the cores as soon as two runners compute at the
 * same time: on a 2-core machine the tiny llm made 2.0–2.4× the tokens/s with one thread per runner
 * while a second runner generated beside it, and was faster with one thread even alone
 * (bench/runner-threads.bench.ts). A model entry's `intraOpNumThreads`, or `MMKIT_ORT_THREADS` set
 * by the user, wins over this default.
 */
import { availableParallelism } from 'node:os';
import { THREADS_VARIABLE } from '../../models/providers/onnx/session-options.ts';

export function defaultRunnerThreads(maxLoadedModels: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, maxLoadedModels)));
}

/** The environment runners start with: this process's, plus the default thread count unless set. */
export function runnerEnvironment(
  maxLoadedModels: number,
  env: NodeJS.ProcessEnv = process.env,
  cores = availableParallelism(),
): NodeJS.ProcessEnv {
  if (env[THREADS_VARIABLE]) return env;
  return { ...env, [THREADS_VARIABLE]: String(defaultRunnerThreads(maxLoadedModels, cores)) };
}
