/**
 * The process `server.bench.ts` measures, so load generator and server do not share an event loop:
 * `mmkit` (the real server as `mmkit serve` starts it: tiny CLIP, cheaper than the hop to a runner,
 * moves into the server's thread after its first load), `mmkit-runner` (tiny CLIP kept in its
 * runner process), `mmkit-threads` (kept in a runner thread, `--runners threads`), `mmkit-in-thread`
 * (tiny CLIP loaded in the server's own thread, `--runners off`), `mmkit-free-model`
 * (the same server with an embedding model that costs nothing) or `bare` (Hono answering a static JSON).
 * `mmkit-in-thread-workers` and `bare-workers` are those in two processes sharing the port
 * (`mmkit serve --workers 2`, node:cluster). Prints its URL on stdout, then serves until killed.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createDefaultRegistry } from '../src/models/default-registry.ts';
import { NO_SPINNING } from '../src/models/providers/onnx/session-options.ts';
import type { ModelProvider } from '../src/models/registry.ts';
import type { EmbeddingModel } from '../src/models/spec/index.ts';
import { createServer } from '../src/server/create-server.ts';
import { isServerWorker, onStopRequest, reportListening, startWorkerCluster } from '../src/server/worker-cluster.ts';
import { buildTinyModel } from '../testkit/build.ts';

const STATIC_ANSWER = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.25, -0.25, -0.1, 0.5, 0.25, -0.25, 0.1] }],
  model: 'tiny-clip',
  usage: { prompt_tokens: 3, total_tokens: 3 },
};

/** Embeddings that cost nothing: the static answer's vector for every text. */
function freeEmbeddingProvider(): ModelProvider {
  const vector = Float32Array.from(STATIC_ANSWER.data[0]!.embedding);
  const model: EmbeddingModel = {
    description: { id: 'free:clip', provider: 'free' },
    dimensions: vector.length,
    embedTexts: async (texts) => ({ embeddings: texts.map(() => vector), usage: { tokens: 3 * texts.length } }),
  };
  return { name: 'free', models: { embeddings: async () => model } };
}

const WORKERS = 2;
let stopWorkers: (() => Promise<void>) | undefined;

/** Prints the URL, or in a worker tells the primary. */
function announce(url: string): void {
  if (isServerWorker()) reportListening(url);
  else process.stdout.write(`${url}\n`);
}

async function main(target: string): Promise<void> {
  const kind = target.replace(/-workers$/, '');
  if (kind !== target && !isServerWorker()) {
    const workers = await startWorkerCluster(WORKERS, (line) => process.stderr.write(`${line}\n`));
    stopWorkers = workers.stop;
    process.stdout.write(`${workers.url}\n`);
    return;
  }
  if (isServerWorker()) onStopRequest(() => process.exit(0));
  if (kind === 'bare' || kind === 'bare-reading-body') {
    const app = new Hono();
    app.post('/v1/embeddings', async (c) => {
      // `bare-reading-body`: what any JSON route must do at least: read the body and parse it.
      if (kind === 'bare-reading-body') JSON.parse(await c.req.text());
      return c.json(STATIC_ANSWER);
    });
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => announce(`http://127.0.0.1:${info.port}`));
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'mmkit-server-bench-'));
  await buildTinyModel('clip', join(root, 'clip'));
  // `mmkit-free-model`: the same server with a model that costs nothing, to see the server's own share.
  const id = kind === 'mmkit-free-model' ? 'free:clip' : join(root, 'clip');
  const config = { defaults: { embeddings: 'tiny-clip' }, models: { 'tiny-clip': { id } } };
  // As `mmkit serve --runners off` does for models in its own thread.
  const registry = createDefaultRegistry({
    config,
    ...(kind === 'mmkit-in-thread' ? { sessionDefaults: NO_SPINNING } : {}),
  });
  registry.registerProvider(freeEmbeddingProvider());
  const server = await createServer({
    registry,
    config,
    dataDir: join(root, 'data'),
    // The free model lives in this process's registry only; tiny CLIP runs in a runner unless
    // `mmkit-in-thread` asks for it in the server's thread.
    runners:
      kind === 'mmkit-free-model' || kind === 'mmkit-in-thread'
        ? 'off'
        : {
            isolation: kind === 'mmkit-threads' ? 'thread' : 'process',
            // The runner rows measure the hop itself: the model stays in its runner.
            ...(kind === 'mmkit' ? {} : { cheapCallMs: 0 }),
          },
    // 64 connections must queue, not be refused.
    limits: { queueLength: 256, concurrencyPerModel: Number(process.env.MMKIT_BENCH_CONCURRENCY ?? 1) },
  });
  const address = await server.listen({ port: 0 });
  announce(address.url);
}

// Exit normally on a signal, so --cpu-prof and friends can write their files.
const exit = () => {
  (stopWorkers?.() ?? Promise.resolve()).finally(() => process.exit(0));
};
process.once('SIGTERM', exit);
process.once('SIGINT', exit);
await main(process.argv[2] ?? 'mmkit');
