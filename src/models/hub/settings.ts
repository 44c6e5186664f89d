/**
 * Where the Hub client talks to and where the cache lives, read from the environment once per call
 * so tests (and the server) can point a single process at different homes and endpoints.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface HubSettings {
  /** Base URL of the Hub (`HF_ENDPOINT`), without a trailing slash. */
  endpoint: string;
  /** Bearer token (`HF_TOKEN`), sent only to the endpoint, never to the CDN it redirects to. */
  token: string | undefined;
  /** mmkit's cache root (`MMKIT_HOME`). Models live under `<home>/models`. */
  home: string;
  /** `MMKIT_OFFLINE=1`: never touch the network, answer from the cache or say what is missing. */
  offline: boolean;
  /** Give up when a server sends no response headers (or no bytes mid-file) for this long. */
  timeoutMs: number;
}

export const defaultEndpoint = 'https://huggingface.co';

export function hubSettings(overrides: Partial<HubSettings> = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const endpoint = (overrides.endpoint ?? (env.HF_ENDPOINT?.trim() || defaultEndpoint)).replace(/\/+$/, '');
  const token = overrides.token ?? (env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined);
  const home = resolve(overrides.home ?? (env.MMKIT_HOME?.trim() || join(homedir(), '.cache', 'mmkit')));
  const offline = overrides.offline ?? isTruthy(env.MMKIT_OFFLINE);
  const timeoutMs = overrides.timeoutMs ?? (Number(env.MMKIT_HUB_TIMEOUT_MS) || 30_000);
  return { endpoint, token, home, offline, timeoutMs };
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}
