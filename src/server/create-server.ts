/**
 * `createServer`: the Hono app with every route and middleware, plus `listen` (127.0.0.1 by default)
 * and a graceful `close` (stop accepting, let in-flight work finish for a grace period, cancel what
 * is left, unload the models). Routes live in `routes/`, one file each; they reach models only
 * through the `ModelService`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createDefaultRegistry } from '../models/default-registry.ts';
import { listCachedModels } from '../models/hub/cache-inventory.ts';
import { NO_SPINNING } from '../models/providers/onnx/session-options.ts';
import { DEFAULT_POOL_OPTIONS } from '../models/runner/runner-spec.ts';
import { EmbeddingBatcher } from './embedding-batcher.ts';
import { requireApiKey } from './middleware/auth.ts';
import { respondWithError, routeNotFound } from './middleware/error-handler.ts';
import { ShutdownGate } from './middleware/request-context.ts';
import { InProcessModelHost } from './model-hosts/in-process-host.ts';
import type { ModelHost } from './model-hosts/model-host.ts';
import { RunnerModelHost } from './model-hosts/runner-host.ts';
import { ModelService } from './model-service.ts';
import { ResponseStore } from './openai/response-store.ts';
import { apiAskRoutes } from './routes/api-ask.ts';
import { apiAssistantRoutes } from './routes/api-assistant.ts';
import { apiImagineRoutes } from './routes/api-imagine.ts';
import { apiModelsRoutes } from './routes/api-models.ts';
import { apiPsRoutes } from './routes/api-ps.ts';
import { apiStylesRoutes } from './routes/api-styles.ts';
import { audioSpeechRoutes } from './routes/audio-speech.ts';
import { audioTranscriptionsRoutes } from './routes/audio-transcriptions.ts';
import { chatCompletionsRoutes } from './routes/chat-completions.ts';
import { completionsRoutes } from './routes/completions.ts';
import { embeddingsRoutes } from './routes/embeddings.ts';
import { healthRoutes } from './routes/health.ts';
import { imagesEditsRoutes } from './routes/images-edits.ts';
import { imagesGenerationsRoutes } from './routes/images-generations.ts';
import { modelsRoutes } from './routes/models.ts';
import { qaRoutes } from './routes/qa.ts';
import { responsesRoutes } from './routes/responses.ts';
import { storedFilesRoutes } from './routes/stored-files.ts';
import { DEFAULT_WEB_DIR, webUiRoutes } from './routes/web-ui.ts';
import type { ServerEnv, ServerServices } from './server-context.ts';
import { resolveLimits, type ServerLimits, type ServerOptions } from './server-options.ts';
import { FileStore } from './uploads/file-store.ts';

export interface ListenOptions {
  host?: string;
  port?: number;
}

export interface ListeningAddress {
  host: string;
  port: number;
  url: string;
}

export interface MmkitServer {
  app: Hono<ServerEnv>;
  models: ModelService;
  files: FileStore;
  listen(options?: ListenOptions): Promise<ListeningAddress>;
  close(): Promise<void>;
}

/** A request line Hono cannot even turn into a URL (e.g. `\\` in the path): still our error shape. */
function malformedRequest(): Response {
  const body = {
    error: { message: 'malformed request URL', type: 'invalid_request_error', param: null, code: 'invalid_url' },
  };
  return Response.json(body, { status: 400 });
}

function createModelHost(options: ServerOptions, limits: ServerLimits): ModelHost {
  const { runners } = options;
  if (runners === 'off') {
    return new InProcessModelHost({
      registry: options.registry,
      queueLength: limits.queueLength,
      concurrencyPerModel: limits.concurrencyPerModel,
    });
  }
  const { specFor, cheapCallMs, ...pool } = runners ?? {};
  // Embedding models cheaper than the hop to a runner move here, loaded as runners load them (the
  // default registry with the server's config), on the server's thread alone: a call that short gains
  // nothing from ONNX Runtime's thread pool but the hand-overs to it (and no spinning on the cores).
  const inThread = new InProcessModelHost({
    registry: createDefaultRegistry({
      ...(options.config ? { config: options.config } : {}),
      sessionDefaults: { ...NO_SPINNING, intraOpNumThreads: 1 },
    }),
    queueLength: limits.queueLength,
    concurrencyPerModel: limits.concurrencyPerModel,
    keepAliveMs: pool.keepAliveMs ?? DEFAULT_POOL_OPTIONS.keepAliveMs,
  });
  return new RunnerModelHost({
    ...(options.config ? { config: options.config } : {}),
    pool: { ...pool, parallelism: limits.concurrencyPerModel, maxQueue: limits.queueLength },
    ...(specFor ? { specFor } : {}),
    inThread,
    ...(cheapCallMs === undefined ? {} : { cheapCallMs }),
  });
}

export async function createServer(options: ServerOptions): Promise<MmkitServer> {
  const limits = resolveLimits(options.limits);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const files = new FileStore(options.dataDir);
  await files.init();
  const models = new ModelService({
    registry: options.registry,
    host: createModelHost(options, limits),
    ...(options.config ? { config: options.config } : {}),
    ...(options.models ? { extraNames: options.models } : {}),
    listCachedIds: async () => (await listCachedModels(options.hub)).map((model) => model.id),
  });
  const embeddingBatcher = new EmbeddingBatcher(
    models,
    limits.embeddingBatchInputs,
    limits.queueLength * limits.embeddingBatchInputs,
  );
  const services: ServerServices = {
    models,
    embeddingBatcher,
    files,
    responses: new ResponseStore(join(files.root, 'responses'), limits.storedResponses),
    limits,
    remoteImages: options.remoteImages ?? true,
    hub: options.hub ?? {},
    log,
  };
  const gate = new ShutdownGate();

  const app = new Hono<ServerEnv>();
  // With neither CORS nor auth configured, nothing runs between the request context and the gate,
  // so one middleware does both.
  const nothingBeforeGate = !options.cors && !options.apiKey;
  app.use(gate.requestContext(nothingBeforeGate));
  app.onError((error, c) => respondWithError(c, error, log));
  app.notFound((c) => respondWithError(c, routeNotFound(c), log));
  if (options.cors) {
    const { origins } = options.cors;
    app.use(cors({ origin: origins === '*' ? '*' : origins, exposeHeaders: ['Retry-After', 'X-Request-Id'] }));
  }
  if (options.apiKey) app.use(requireApiKey(options.apiKey));
  if (!nothingBeforeGate) app.use(gate.middleware());
  for (const routes of [
    healthRoutes(),
    modelsRoutes(services),
    chatCompletionsRoutes(services),
    completionsRoutes(services),
    responsesRoutes(services),
    embeddingsRoutes(services),
    audioTranscriptionsRoutes(services),
    audioSpeechRoutes(services),
    imagesGenerationsRoutes(services),
    imagesEditsRoutes(services),
    qaRoutes(services),
    storedFilesRoutes(services),
    apiAskRoutes(services),
    apiImagineRoutes(services),
    apiAssistantRoutes(services),
    apiStylesRoutes(),
    apiModelsRoutes(services),
    apiPsRoutes(services),
    // Last: everything no route above claims is looked up in the built UI.
    ...(options.webDir === false ? [] : [webUiRoutes(options.webDir ?? DEFAULT_WEB_DIR)]),
  ]) {
    app.route('/', routes);
  }

  let server: Server | undefined;
  // Responses not closed yet, counted for the graceful shutdown. One shared `close` listener (its
  // `this` is the response) rather than a closure and a `once` wrapper per request.
  let open = 0;
  let idleWaiters: (() => void)[] = [];
  function responseClosed(): void {
    open -= 1;
    if (open === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  }
  const idleWithin = (ms: number) =>
    new Promise<void>((resolve) => {
      if (open === 0) return resolve();
      const timer = setTimeout(resolve, ms);
      idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  return {
    app,
    models,
    files,
    listen: ({ host = '127.0.0.1', port = 8000 } = {}) =>
      new Promise<ListeningAddress>((resolve, reject) => {
        if (server) return reject(new Error('the server is already listening'));
        const listener = getRequestListener(app.fetch, { hostname: host, errorHandler: malformedRequest });
        const created = createHttpServer((request: IncomingMessage, response: ServerResponse) => {
          open += 1;
          response.on('close', responseClosed);
          return listener(request, response);
        });
        created.once('error', reject);
        created.listen(port, host, () => {
          created.off('error', reject);
          server = created;
          const address = created.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ host: address.address, port: address.port, url: `http://${shownHost}:${address.port}` });
        });
      }),
    close: async () => {
      gate.stopAccepting();
      const closed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeIdleConnections();
      await idleWithin(limits.shutdownGraceMs);
      if (open > 0) {
        gate.cancelInFlight();
        await idleWithin(2_000);
      }
      server?.closeAllConnections();
      await closed;
      idleWaiters = [];
      await models.close();
    },
  };
}
