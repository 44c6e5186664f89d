/**
 * Downloads an image named by an http(s) URL, bounded in size and time: the body is read chunk by
 * chunk and the download stops as soon as it passes the byte limit, whatever Content-Length says,
 * and a server that does not finish in time is cut off.
 */
import { describeError, MmkitError } from '../../errors.ts';

export interface FetchImageOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

function fetchFailure(url: string, reason: string, code = 'image_fetch_failed'): MmkitError {
  return new MmkitError(`${url}: cannot download the image (${reason})`, { code, param: 'image' });
}

function isAbortFromCaller(signal: AbortSignal | undefined): boolean {
  return signal?.aborted ?? false;
}

export async function fetchImage(url: URL, options: FetchImageOptions): Promise<Uint8Array> {
  const name = url.href;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MmkitError(`${name}: only http and https image URLs are supported`, {
      code: 'image_url_unsupported',
      param: 'image',
    });
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { signal, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw fetchFailure(name, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge(name, options.maxBytes);
    }
    return await readBounded(response, name, options.maxBytes);
  } catch (error) {
    if (error instanceof MmkitError) throw error;
    if (isAbortFromCaller(options.signal)) throw error;
    if (timeout.aborted) {
      throw fetchFailure(name, `no complete answer within ${options.timeoutMs / 1000} s`, 'image_fetch_timeout');
    }
    throw fetchFailure(name, describeError((error as Error)?.cause ?? error));
  }
}

function tooLarge(name: string, maxBytes: number): MmkitError {
  return new MmkitError(`${name}: the image is larger than the limit of ${maxBytes} bytes`, {
    code: 'image_too_large',
    param: 'image',
  });
}

async function readBounded(response: Response, name: string, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(name, maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
