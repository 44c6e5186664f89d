/**
 * What `createServer` takes, and the limits every route enforces. Every limit has a default; the
 * CLI and tests override only what they need.
 */
import type { MmkitConfig } from '../models/config.ts';
import type { HubSettings } from '../models/hub/settings.ts';
import type { ModelRegistry } from '../models/registry.ts';
import type { RunnerIsolation } from '../models/runner/runner-transport.ts';
import type { RunnerSpecBuilder } from './model-hosts/runner-host.ts';

export interface ServerLimits {
  /** JSON bodies of /v1/chat/completions (data-URL images included). */
  chatBodyBytes: number;
  /** JSON bodies of /v1/embeddings. */
  embeddingsBodyBytes: number;
  /** JSON bodies of the other JSON routes (/v1/audio/speech). */
  jsonBodyBytes: number;
  /** Multipart bodies carrying an image (/qa). */
  imageUploadBytes: number;
  /** Multipart bodies carrying audio (/v1/audio/transcriptions). */
  audioUploadBytes: number;
  /** Images fetched from an http(s) `image_url`. */
  remoteImageBytes: number;
  remoteImageTimeoutMs: number;
  /** Width × height of any image, against decompression bombs. */
  maxPixels: number;
  maxAudioSeconds: number;
  /** Characters of text over all chat messages. */
  maxPromptChars: number;
  /** Characters of a /qa question. */
  maxQuestionChars: number;
  /** Characters of a /v1/audio/speech input (OpenAI's limit). */
  maxSpeechChars: number;
  maxMessages: number;
  maxEmbeddingInputs: number;
  /** Characters of one embeddings input text. */
  maxEmbeddingInputChars: number;
  /** Texts merged into one embeddings model call under concurrent load. */
  embeddingBatchInputs: number;
  /** Requests waiting for one model beyond the ones running; more get 429 (`--max-queue`). */
  queueLength: number;
  /** Requests one model runs at once (`--parallelism`). */
  concurrencyPerModel: number;
  /** How long `close()` lets in-flight requests finish before cancelling them. */
  shutdownGraceMs: number;
  /** Responses API answers kept on disk (`store: true`); the oldest go first; 0 keeps none. */
  storedResponses: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  chatBodyBytes: 16 * 1024 * 1024,
  embeddingsBodyBytes: 8 * 1024 * 1024,
  jsonBodyBytes: 1024 * 1024,
  imageUploadBytes: 10 * 1024 * 1024,
  audioUploadBytes: 25 * 1024 * 1024,
  remoteImageBytes: 10 * 1024 * 1024,
  remoteImageTimeoutMs: 10_000,
  maxPixels: 40_000_000,
  maxAudioSeconds: 600,
  maxPromptChars: 32_000,
  maxQuestionChars: 2_000,
  maxSpeechChars: 4_096,
  maxMessages: 256,
  maxEmbeddingInputs: 256,
  maxEmbeddingInputChars: 8_192,
  embeddingBatchInputs: 64,
  queueLength: 16,
  concurrencyPerModel: 1,
  shutdownGraceMs: 10_000,
  storedResponses: 10_000,
};

export interface CorsSettings {
  /** Allowed origins, or `*` for any. */
  origins: string[] | '*';
}

/** How runner processes host the models (`mmkit serve --keep-alive … --max-loaded-models …`). */
export interface RunnerSettings {
  /** Unload a model this long after its last request (ms); 0 at once, negative never. Default 5 min. */
  keepAliveMs?: number;
  /** Models loaded at once; loading another unloads the least recently used idle one. Default 3. */
  maxLoadedModels?: number;
  /** Resident memory all runners together may use (bytes); idle models are unloaded to keep under it. */
  memoryBudgetBytes?: number;
  /** Copy runners' stdout/stderr to the server's stderr. */
  inheritOutput?: boolean;
  /**
   * Each runner a process of its own (the default: any crash fails only its model's requests) or a
   * worker thread of the server's process (cheaper calls; a native crash takes the server down).
   */
  isolation?: RunnerIsolation;
  /** What a runner loads for a model (default: the registry with the server's config). */
  specFor?: RunnerSpecBuilder;
  /**
   * An embedding model whose batch of 16 sentences takes at most this long (ms, timed in its runner)
   * moves into the server's thread (default 2; 0: every model stays in its runner).
   */
  cheapCallMs?: number;
}

export interface ServerOptions {
  registry: ModelRegistry;
  config?: MmkitConfig;
  /** Holds `uploads/`, `outputs/` and `responses/`; nothing is written anywhere else. */
  dataDir: string;
  limits?: Partial<ServerLimits>;
  /** When set, every route but /health needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Absent: no CORS headers (same-origin only). */
  cors?: CorsSettings;
  /** Extra model names clients may ask for, beyond the configured, default and cached ones. */
  models?: string[];
  /** Fetch http(s) `image_url`s (default true); false allows data URLs only. */
  remoteImages?: boolean;
  /** The model cache and Hub endpoint for `/api/models` (default: the environment's, as the CLI). */
  hub?: Partial<HubSettings>;
  /** The built web UI served at `/` (default: the package's `web/dist`; false serves none). */
  webDir?: string | false;
  /**
   * Runner processes host the models (the default: unloading frees memory, a crash fails one
   * model's requests). Runners load through the default registry with `config`, so providers added
   * to `registry` by hand are not seen there: pass `'off'` to load models in this process instead.
   */
  runners?: RunnerSettings | 'off';
  /** Where internal errors are logged (default stderr). */
  log?: (line: string) => void;
}

export function resolveLimits(overrides: Partial<ServerLimits> = {}): ServerLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
