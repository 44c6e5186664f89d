/**
 * The bytes behind an OpenAI `image_url`: a base64 data URL, or an http(s) URL fetched with a byte
 * limit and a timeout (when the server allows remote images). What the bytes are is decided later
 * by `acceptImage`, from the bytes themselves.
 */
import { invalidRequest } from '../http-errors.ts';

export interface ImageUrlOptions {
  maxBytes: number;
  timeoutMs: number;
  allowRemote: boolean;
  param: string;
  signal?: AbortSignal;
}

export async function imageUrlBytes(url: string, options: ImageUrlOptions): Promise<Uint8Array> {
  if (url.startsWith('data:')) return dataUrlBytes(url, options);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidRequest(`${options.param}: not a URL or a data URL`, options.param, 'invalid_image_url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidRequest(
      `${options.param}: only data:, http: and https: URLs are accepted`,
      options.param,
      'invalid_image_url',
    );
  }
  if (!options.allowRemote) {
    throw invalidRequest(
      `${options.param}: this server accepts images as data URLs only`,
      options.param,
      'remote_images_disabled',
    );
  }
  return fetchLimited(parsed, options);
}

function dataUrlBytes(url: string, options: ImageUrlOptions): Uint8Array {
  const comma = url.indexOf(',');
  const header = comma < 0 ? '' : url.slice(5, comma);
  if (comma < 0 || !header.split(';').includes('base64')) {
    throw invalidRequest(
      `${options.param}: data URLs must be base64 (data:image/png;base64,…)`,
      options.param,
      'invalid_image_url',
    );
  }
  const payload = url.slice(comma + 1);
  if (Math.floor((payload.length * 3) / 4) > options.maxBytes) {
    throw invalidRequest(
      `${options.param}: the image is over ${options.maxBytes} bytes`,
      options.param,
      'image_too_large',
    );
  }
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload)) {
    throw invalidRequest(`${options.param}: the data URL is not valid base64`, options.param, 'invalid_image_url');
  }
  return new Uint8Array(Buffer.from(payload, 'base64'));
}

async function fetchLimited(url: URL, options: ImageUrlOptions): Promise<Uint8Array> {
  const { param, maxBytes } = options;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const failed = (reason: string, code = 'image_url_unreachable') =>
    invalidRequest(`${param}: could not fetch ${url.origin}${url.pathname}: ${reason}`, param, code);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch {
    if (timeout.aborted) throw failed(`no answer within ${options.timeoutMs} ms`, 'image_url_timeout');
    options.signal?.throwIfAborted();
    throw failed('the connection failed');
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw failed(`it answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw failed(`it is ${declared} bytes, over the limit of ${maxBytes}`, 'image_too_large');
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw failed(`it is over the limit of ${maxBytes} bytes`, 'image_too_large');
      }
      chunks.push(value);
    }
  } catch (error) {
    if (timeout.aborted) throw failed(`it did not arrive within ${options.timeoutMs} ms`, 'image_url_timeout');
    throw error;
  }
  return new Uint8Array(Buffer.concat(chunks));
}
