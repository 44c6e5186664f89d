/** The HTTP server: `createServer` and what it is configured with. */
export { createServer, type ListeningAddress, type ListenOptions, type MmkitServer } from './create-server.ts';
export type { LoadedModelStatus, ModelLease, ServedModel } from './model-service.ts';
export { ModelService } from './model-service.ts';
export { type CorsSettings, DEFAULT_LIMITS, type ServerLimits, type ServerOptions } from './server-options.ts';
