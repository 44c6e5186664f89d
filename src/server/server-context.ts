/** What every route handler can reach: the services of this server and per-request variables. */
import type { HubSettings } from '../models/hub/settings.ts';
import type { EmbeddingBatcher } from './embedding-batcher.ts';
import type { RequestCancellation } from './middleware/request-context.ts';
import type { ModelService } from './model-service.ts';
import type { ResponseStore } from './openai/response-store.ts';
import type { ServerLimits } from './server-options.ts';
import type { FileStore } from './uploads/file-store.ts';

export interface ServerServices {
  models: ModelService;
  /** Text-only embeddings requests go through here, batched per model. */
  embeddingBatcher: EmbeddingBatcher;
  files: FileStore;
  /** Responses API answers kept for `previous_response_id`, `item_reference` and reading back. */
  responses: ResponseStore;
  limits: ServerLimits;
  remoteImages: boolean;
  /** The model cache and Hub endpoint (`/api/models`). */
  hub: Partial<HubSettings>;
  log: (line: string) => void;
}

export interface ServerEnv {
  Variables: {
    requestId: string;
    /** When the client went away or the server's shutdown grace period ended (`requestSignal(c)`). */
    cancellation: RequestCancellation;
  };
}
