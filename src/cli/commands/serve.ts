/**
 * `mmkit serve`: the HTTP server (the web UI, /api/*, seed routes, OpenAI-compatible /v1) until SIGINT/SIGTERM, then a
 * graceful close: stop accepting, let running requests finish (or cancel them after the grace
 * period), unload models, exit.
 */
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { describeError, MmkitError } from '../../errors.ts';
import { loadConfig, mmkitHome } from '../../models/config.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import { NO_SPINNING } from '../../models/providers/onnx/session-options.ts';
import { createServer } from '../../server/create-server.ts';
import {
  type CorsSettings,
  DEFAULT_LIMITS,
  type RunnerSettings,
  type ServerLimits,
} from '../../server/server-options.ts';
import {
  isServerWorker,
  leaveCluster,
  onStopRequest,
  reportListening,
  startWorkerCluster,
} from '../../server/worker-cluster.ts';
import { numberOption } from '../options.ts';
import { byteSizeOption, durationOption } from '../quantity-options.ts';
import { followRerunParent, hasYoungGenerationSetting, rerunWithServerFlags } from '../server-heap.ts';

interface ServeOptions {
  host: string;
  port: number;
  config?: string;
  dataDir?: string;
  apiKey?: string;
  cors?: string;
  keepAlive: number;
  maxLoadedModels: number;
  memoryBudget?: number;
  parallelism: number;
  maxQueue: number;
  storedResponses: number;
  runners: RunnersMode;
  workers: number;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the web UI at /, the application API (/api/*), /qa, /uploads, /outputs and an OpenAI-compatible API (/v1/*).',
    )
    .option('--host <host>', 'address to bind (0.0.0.0 exposes it to the network)', '127.0.0.1')
    .option(
      '--port <port>',
      'port to listen on (0 picks a free one)',
      numberOption('--port', { integer: true, min: 0, max: 65535 }),
      8000,
    )
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--data-dir <dir>', 'where uploads/ and outputs/ are kept (default $MMKIT_HOME/server)')
    .option('--api-key <key>', 'require Authorization: Bearer <key> (default $MMKIT_API_KEY)')
    .option('--cors <origins>', "allowed browser origins, comma-separated, or '*'")
    .option(
      '--runners <mode>',
      'on: each model in its own process (unloading frees memory, a crash fails only its requests); threads: each in its own worker thread (cheaper calls, but a native crash stops the server); off: all in this thread. With on and threads, an embedding model cheaper than the hop to its runner moves into this thread',
      runnersMode,
      'on',
    )
    .option(
      '--keep-alive <duration>',
      'unload a model this long after its last request (0: at once, -1: never)',
      durationOption('--keep-alive'),
      5 * 60 * 1000,
    )
    .option(
      '--max-loaded-models <n>',
      'models loaded at once; more unload the least recently used',
      numberOption('--max-loaded-models', { integer: true, min: 1 }),
      3,
    )
    .option(
      '--memory-budget <size>',
      'memory all model runners together may use, e.g. 8G',
      byteSizeOption('--memory-budget'),
    )
    .option(
      '--parallelism <n>',
      'requests one model works on at once',
      numberOption('--parallelism', { integer: true, min: 1, max: 64 }),
      DEFAULT_LIMITS.concurrencyPerModel,
    )
    .option(
      '--max-queue <n>',
      'requests that may wait per model; beyond it 429 with Retry-After',
      numberOption('--max-queue', { integer: true, min: 0, max: 10_000 }),
      DEFAULT_LIMITS.queueLength,
    )
    .option(
      '--stored-responses <n>',
      'Responses API answers kept on disk for previous_response_id (the oldest go first; 0 keeps none)',
      numberOption('--stored-responses', { integer: true, min: 0, max: 10_000_000 }),
      DEFAULT_LIMITS.storedResponses,
    )
    .option(
      '--workers <n>',
      'server processes sharing the port, each with its own models (scale-out over cores; memory grows with each)',
      numberOption('--workers', { integer: true, min: 1, max: 64 }),
      1,
    )
    .action(async (options: ServeOptions) => {
      // The server's young generation is set at start-up (see server-heap.ts): run again with it.
      if (!isServerWorker() && !hasYoungGenerationSetting()) process.exit(await rerunWithServerFlags());
      followRerunParent();
      if (options.workers > 1 && !isServerWorker()) return serveWithWorkers(options.workers);
      try {
        await serveHere(options);
      } finally {
        // A worker holds a channel to its primary that would keep it alive, stopped or failed.
        if (isServerWorker()) leaveCluster();
      }
    });
}

/** One server in this process (alone, or as a worker of `--workers N`) until it is told to stop. */
async function serveHere(options: ServeOptions): Promise<void> {
  const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
  const apiKey = options.apiKey ?? process.env.MMKIT_API_KEY;
  const server = await createServer({
    // Models in the server's own thread share its cores: no ONNX Runtime threads spinning on them.
    registry: createDefaultRegistry({
      config,
      ...(options.runners === 'off' ? { sessionDefaults: NO_SPINNING } : {}),
    }),
    config,
    dataDir: options.dataDir ?? join(mmkitHome(), 'server'),
    ...(apiKey ? { apiKey } : {}),
    ...(options.cors ? { cors: parseCors(options.cors) } : {}),
    limits: {
      concurrencyPerModel: options.parallelism,
      queueLength: options.maxQueue,
      storedResponses: options.storedResponses,
    } satisfies Partial<ServerLimits>,
    runners: options.runners === 'off' ? 'off' : runnerSettings(options),
  });
  const address = await server.listen({ host: options.host, port: options.port }).catch((error: unknown) => {
    throw new MmkitError(`cannot listen on ${options.host}:${options.port}: ${describeError(error)}`, {
      code: 'listen_failed',
      param: '--port',
      cause: error,
    });
  });
  // A worker of `--workers N` is quiet: its primary speaks for the server.
  const worker = isServerWorker();
  if (worker) reportListening(address.url);
  else process.stdout.write(`mmkit serve: listening on ${address.url}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      if (!worker) process.stderr.write(`mmkit serve: ${reason}, finishing in-flight requests…\n`);
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      server.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (worker) onStopRequest(() => stop('stop'));
  });
  if (!worker) process.stdout.write('mmkit serve: stopped\n');
}

/** The primary of `--workers N`: starts the workers, then stops them on a signal (or when they keep dying). */
async function serveWithWorkers(count: number): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const workers = await startWorkerCluster(count, log).catch((error: unknown) => {
    throw new MmkitError(describeError(error), { code: 'workers_failed', param: '--workers' });
  });
  process.stdout.write(`mmkit serve: listening on ${workers.url} (${count} workers)\n`);
  const failure = await new Promise<string | undefined>((resolve) => {
    const stop = (signal: string) => {
      log(`mmkit serve: ${signal}, finishing in-flight requests…`);
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      resolve(undefined);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    workers.failed.then(resolve);
  });
  await workers.stop();
  if (failure !== undefined) throw new MmkitError(failure, { code: 'workers_failed', param: '--workers' });
  process.stdout.write('mmkit serve: stopped\n');
}

type RunnersMode = 'on' | 'threads' | 'off';

function runnersMode(value: string): RunnersMode {
  if (value !== 'on' && value !== 'threads' && value !== 'off') {
    throw new InvalidArgumentError(`--runners must be on, threads or off, got '${value}'`);
  }
  return value;
}

function runnerSettings(options: ServeOptions): RunnerSettings {
  return {
    ...(options.runners === 'threads' ? { isolation: 'thread' as const } : {}),
    keepAliveMs: options.keepAlive,
    maxLoadedModels: options.maxLoadedModels,
    ...(options.memoryBudget === undefined ? {} : { memoryBudgetBytes: options.memoryBudget }),
  };
}

function parseCors(value: string): CorsSettings {
  if (value.trim() === '*') return { origins: '*' };
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new MmkitError(`--cors: '${origin}' is not an origin such as http://localhost:5173`, {
        code: 'cors_invalid',
        param: '--cors',
      });
    }
  }
  return { origins };
}
