/**
 * ONNX Runtime session options a model entry may set (`intraOpNumThreads`, `interOpNumThreads`,
 * `graphOptimizationLevel`), checked once and handed to every session the model opens: Transformers.js
 * models as `session_options`, our own sessions (diffusion, CTC) directly. Without them ONNX Runtime
 * uses one intra-op thread per core in every session, which oversubscribes the cores as soon as two
 * runners compute at once; `MMKIT_ORT_THREADS` gives the default a runner's models start from.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { MmkitError } from '../../../errors.ts';

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

/** What a model entry (config file or `--model` options) may say about its sessions. */
export interface OnnxSessionSettings {
  /** Threads one operator may use (ONNX Runtime's default: one per physical core). */
  intraOpNumThreads?: number;
  /** Threads running independent operators at once (used only with parallel execution). */
  interOpNumThreads?: number;
  graphOptimizationLevel?: GraphOptimizationLevel;
}

/**
 * For models whose runs share cores with other work: ONNX Runtime's idle intra-op threads spin
 * after each run by default, on the cores that work needs next. Where it was measured: tiny CLIP in
 * the server's own thread (`--runners off`) answered 17k → 21k embedding requests/s at 64
 * connections on 2 cores (bench/server.bench.ts, interleaved rounds); an imagine call spent 0.94–0.97
 * of its time inside ONNX Runtime with spinning, 0.98 without.
 */
export const NO_SPINNING: InferenceSession.SessionOptions = {
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** The environment variable runners read for the default intra-op thread count. */
export const THREADS_VARIABLE = 'MMKIT_ORT_THREADS';

function threadCount(value: unknown, name: string, id: string): number | undefined {
  if (value === undefined) return undefined;
  const count = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1024) {
    throw new MmkitError(`${id}: ${name} must be a whole number of threads ≥ 1, got ${JSON.stringify(value)}`, {
      code: 'session_option_invalid',
      param: name,
    });
  }
  return count;
}

/**
 * The session options for a model entry's options, with `intraOpNumThreads` defaulting to
 * `MMKIT_ORT_THREADS` when that is set. Unset options stay unset (ONNX Runtime's defaults).
 */
export function sessionOptionsFor(
  options: Record<string, unknown>,
  id: string,
  env: NodeJS.ProcessEnv = process.env,
): InferenceSession.SessionOptions {
  const intra =
    threadCount(options.intraOpNumThreads, 'intraOpNumThreads', id) ??
    threadCount(env[THREADS_VARIABLE] || undefined, THREADS_VARIABLE, id);
  const inter = threadCount(options.interOpNumThreads, 'interOpNumThreads', id);
  const level = options.graphOptimizationLevel;
  if (level !== undefined && !(GRAPH_OPTIMIZATION_LEVELS as readonly unknown[]).includes(level)) {
    throw new MmkitError(
      `${id}: graphOptimizationLevel must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
      { code: 'session_option_invalid', param: 'graphOptimizationLevel' },
    );
  }
  return {
    ...(intra === undefined ? {} : { intraOpNumThreads: intra }),
    ...(inter === undefined ? {} : { interOpNumThreads: inter }),
    ...(level === undefined ? {} : { graphOptimizationLevel: level as GraphOptimizationLevel }),
  };
}

/** Transformers.js's `from_pretrained` options with the session options added when there are any. */
export function withSessionOptions<T extends object>(
  options: T,
  sessionOptions: InferenceSession.SessionOptions | undefined,
): T & { session_options?: InferenceSession.SessionOptions } {
  if (!sessionOptions || Object.keys(sessionOptions).length === 0) return options;
  return { ...options, session_options: sessionOptions };
}
