/**
 * One HTTP request to the Hub (or the CDN it redirects to), with the rules every request shares:
 * redirects followed by hand so the token never leaves the Hub's origin, a deadline for the
 * response headers, the caller's `AbortSignal`, and every failure turned into a one-line
 * `MmkitError` that says what to do.
 */
import { MmkitError } from '../../errors.ts';
import type { HubSettings } from './settings.ts';

export interface HubRequest {
  settings: HubSettings;
  url: string;
  /** What is being fetched, for messages: "model onnx-community/whisper-tiny". */
  subject: string;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
}

export interface HubResponse {
  response: Response;
  /** Aborts the body read (used for stalled downloads). */
  abort(reason: unknown): void;
  /** Whether `abort` was called for a stall, so read errors can say so. */
  controller: AbortController;
}

/** Failures worth retrying on the same file: the connection dropped or stalled. */
export const retryableCodes = new Set(['hub_unreachable', 'hub_timeout', 'hub_connection_lost']);

const maxRedirects = 10;

export async function hubRequest(request: HubRequest): Promise<HubResponse> {
  const { settings, signal } = request;
  signal?.throwIfAborted();
  const hubOrigin = new URL(settings.endpoint).origin;
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', forwardAbort, { once: true });
  let url = request.url;
  try {
    for (let hop = 0; hop <= maxRedirects; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'mmkit', ...request.headers };
      // The token is for the Hub only; signed CDN URLs must not receive it.
      if (settings.token && new URL(url).origin === hubOrigin) headers.authorization = `Bearer ${settings.token}`;
      const timer = setTimeout(() => controller.abort(timeoutError(request, settings.timeoutMs)), settings.timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, { headers, redirect: 'manual', signal: controller.signal });
      } catch (error) {
        throw requestFailure(error, request, controller, signal);
      } finally {
        clearTimeout(timer);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => {});
        url = new URL(location, url).toString();
        continue;
      }
      return { response, controller, abort: (reason) => controller.abort(reason) };
    }
    throw new MmkitError(`too many redirects while fetching ${request.subject} from ${settings.endpoint}`, {
      code: 'hub_redirect_loop',
      type: 'runtime_error',
    });
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
  }
}

/** Turns an error thrown by `fetch` (or by reading a body) into the error the user should see. */
export function requestFailure(
  error: unknown,
  request: HubRequest,
  controller: AbortController,
  signal: AbortSignal | undefined,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (controller.signal.aborted && controller.signal.reason instanceof MmkitError) return controller.signal.reason;
  if (error instanceof MmkitError) return error;
  const code = networkCode(error);
  const endpoint = request.settings.endpoint;
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT'];
  if (code && (unreachable.includes(code) || code === 'UND_ERR_CONNECT_TIMEOUT')) {
    return new MmkitError(
      `cannot reach the Hugging Face Hub at ${endpoint} (${code}) while fetching ${request.subject}: check the network or HF_ENDPOINT, or set MMKIT_OFFLINE=1 to use only cached models`,
      { code: 'hub_unreachable', type: 'runtime_error', status: 502, cause: error },
    );
  }
  return new MmkitError(
    `the connection to ${new URL(request.url).host} was lost while fetching ${request.subject}${code ? ` (${code})` : ''}: run the command again to resume`,
    { code: 'hub_connection_lost', type: 'runtime_error', status: 502, cause: error },
  );
}

export function timeoutError(request: HubRequest, timeoutMs: number): MmkitError {
  return new MmkitError(
    `the Hub at ${new URL(request.url).host} sent nothing for ${Math.round(timeoutMs / 1000)} s while fetching ${request.subject}: check the network and run the command again`,
    { code: 'hub_timeout', type: 'runtime_error', status: 504 },
  );
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The Hub's answer to a failed request, as one actionable line. Note the Hub answers 401 (not
 * 404) for a repo that does not exist when no token is sent, so 401 names both possibilities.
 */
export async function statusFailure(response: Response, subject: string, repoId: string): Promise<MmkitError> {
  const errorCode = response.headers.get('x-error-code') ?? '';
  const serverMessage = (response.headers.get('x-error-message') ?? (await safeText(response))).slice(0, 200);
  const status = response.status;
  if (status === 401) {
    return new MmkitError(
      `${repoId} was not found or needs a login (HTTP 401): check the model id; if the repo is private or gated, set HF_TOKEN to a Hugging Face access token`,
      { code: 'hub_unauthorized', type: 'invalid_request_error', status: 401 },
    );
  }
  if (status === 403) {
    return new MmkitError(
      `access to ${repoId} was refused (HTTP 403${errorCode ? ` ${errorCode}` : ''}): accept its terms on the Hub and set HF_TOKEN to a token of an account that has access`,
      { code: 'hub_forbidden', type: 'invalid_request_error', status: 403 },
    );
  }
  if (status === 404) {
    const what =
      errorCode === 'EntryNotFound'
        ? `${subject} does not exist in ${repoId}`
        : errorCode === 'RevisionNotFound'
          ? `${subject}: that revision does not exist in ${repoId}`
          : `model ${repoId} was not found on the Hub`;
    return new MmkitError(`${what} (HTTP 404): check the model id, file name and --revision`, {
      code: errorCode === 'EntryNotFound' ? 'hub_file_not_found' : 'hub_repo_not_found',
      type: 'not_found_error',
      status: 404,
    });
  }
  const retry = status === 429 || status >= 500;
  return new MmkitError(
    `the Hub answered HTTP ${status} for ${subject}${serverMessage ? ` (${oneLine(serverMessage)})` : ''}${retry ? ': try again later' : ''}`,
    { code: retry ? 'hub_connection_lost' : 'hub_http_error', type: 'runtime_error', status: 502 },
  );
}

async function safeText(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
