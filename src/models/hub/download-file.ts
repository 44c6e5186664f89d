/**
 * Downloads one repo file into the cache: appends to a `.partial` file (resuming it with an HTTP
 * `Range` request after a dropped connection, in this run or a later one), checks the size and the
 * sha256 (LFS files) or git blob id (regular files) the Hub published, and only then renames it
 * into the snapshot. A file that fails the check is deleted, never cached.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MmkitError } from '../../errors.ts';
import { cacheWriteFailure } from './disk-errors.ts';
import { type HubRequest, hubRequest, requestFailure, retryableCodes, statusFailure, timeoutError } from './http.ts';
import type { RemoteFile } from './listing.ts';
import { encodePath } from './repo-id.ts';
import type { HubSettings } from './settings.ts';

export interface FileDownload {
  settings: HubSettings;
  repoId: string;
  commit: string;
  file: RemoteFile;
  /** Final path inside the snapshot folder. */
  destination: string;
  /** Folder for `.partial` files (same file system as the snapshot, so the rename is atomic). */
  partialFolder: string;
  signal?: AbortSignal | undefined;
  /** Bytes of this file on disk so far (resumed bytes count from the start). */
  onBytes?: ((bytes: number) => void) | undefined;
  /** Further attempts after a dropped or stalled connection (each resumes). Default 3. */
  retries?: number | undefined;
}

export async function downloadFile(download: FileDownload): Promise<void> {
  const { signal } = download;
  const partialPath = join(download.partialFolder, `${partialKey(download)}.partial`);
  try {
    await mkdir(download.partialFolder, { recursive: true });
  } catch (error) {
    throw cacheWriteFailure(error, download.partialFolder);
  }
  const retries = download.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      const digests = await fetchInto(partialPath, download);
      await verify(partialPath, digests, download);
      break;
    } catch (error) {
      const retry = error instanceof MmkitError && retryableCodes.has(error.code) && attempt < retries;
      if (!retry || signal?.aborted) throw error;
      await sleep(250 * (attempt + 1), undefined, { signal }).catch(() => signal?.throwIfAborted());
    }
  }
  try {
    await mkdir(dirname(download.destination), { recursive: true });
    await rename(partialPath, download.destination);
  } catch (error) {
    throw cacheWriteFailure(error, download.destination);
  }
}

interface Digests {
  sha256?: string | undefined;
  blobId?: string | undefined;
  size: number;
}

/** One attempt: resume from what the partial file holds, append the rest. */
async function fetchInto(partialPath: string, download: FileDownload): Promise<Digests> {
  const { file, settings, signal } = download;
  let existing = await fileSize(partialPath);
  if (existing > file.size) {
    await rm(partialPath, { force: true });
    existing = 0;
  }
  if (existing === file.size && existing > 0) return hashExisting(partialPath, file, existing);
  const subject = `${file.path} of ${download.repoId}`;
  const url = `${settings.endpoint}/${download.repoId}/resolve/${download.commit}/${encodePath(file.path)}`;
  const headers: Record<string, string> = existing > 0 ? { range: `bytes=${existing}-` } : {};
  const request: HubRequest = { settings, url, subject, signal, headers };
  const { response, controller } = await hubRequest(request);
  if (response.status === 416) {
    // The server cannot serve past what we hold: start the file over.
    await response.body?.cancel().catch(() => {});
    await rm(partialPath, { force: true });
    throw new MmkitError(`${subject}: the partial download did not match, restarting`, {
      code: 'hub_connection_lost',
      type: 'runtime_error',
    });
  }
  if (!response.ok) throw await statusFailure(response, file.path, download.repoId);
  const resumed = response.status === 206 && contentRangeStart(response) === existing;
  if (!resumed) existing = 0;
  const hashers = newHashers(file);
  if (existing > 0) await feedFile(partialPath, existing, hashers);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(partialPath, existing > 0 ? 'a' : 'w');
  } catch (error) {
    await response.body?.cancel().catch(() => {});
    throw cacheWriteFailure(error, partialPath);
  }
  let written = existing;
  let stallTimer: NodeJS.Timeout | undefined;
  const armStallTimer = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => controller.abort(timeoutError(request, settings.timeoutMs)), settings.timeoutMs);
  };
  try {
    if (!response.body) throw new Error('empty body');
    armStallTimer();
    const reader = response.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw requestFailure(error, request, controller, signal);
      }
      if (chunk.done) break;
      armStallTimer();
      try {
        await handle.write(chunk.value);
      } catch (error) {
        controller.abort(error);
        throw cacheWriteFailure(error, partialPath);
      }
      for (const hasher of Object.values(hashers)) hasher?.update(chunk.value);
      written += chunk.value.byteLength;
      download.onBytes?.(written);
      signal?.throwIfAborted();
    }
  } finally {
    clearTimeout(stallTimer);
    await handle.close().catch(() => {});
  }
  if (written < file.size) {
    throw new MmkitError(`the connection closed early while fetching ${subject}: run the command again to resume`, {
      code: 'hub_connection_lost',
      type: 'runtime_error',
    });
  }
  return { sha256: hashers.sha256?.digest('hex'), blobId: hashers.blob?.digest('hex'), size: written };
}

async function verify(partialPath: string, digests: Digests, download: FileDownload): Promise<void> {
  const { file } = download;
  const mismatch =
    digests.size !== file.size
      ? `its size (${digests.size} bytes, expected ${file.size})`
      : file.sha256 && digests.sha256 !== file.sha256
        ? `its sha256 (${digests.sha256?.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…)`
        : file.blobId && digests.blobId !== file.blobId
          ? `its git blob id (${digests.blobId?.slice(0, 12)}…, expected ${file.blobId.slice(0, 12)}…)`
          : undefined;
  if (!mismatch) return;
  await rm(partialPath, { force: true });
  throw new MmkitError(
    `${file.path} of ${download.repoId} arrived corrupt: ${mismatch} does not match the Hub's; it was deleted and not cached, run the pull again (if it keeps failing, check for a proxy rewriting downloads)`,
    { code: 'hub_file_corrupt', type: 'runtime_error', status: 502 },
  );
}

type Hashers = { sha256?: Hash | undefined; blob?: Hash | undefined };

function newHashers(file: RemoteFile): Hashers {
  const blob = file.blobId ? createHash('sha1').update(`blob ${file.size}\0`) : undefined;
  return { sha256: file.sha256 ? createHash('sha256') : undefined, blob };
}

async function hashExisting(path: string, file: RemoteFile, size: number): Promise<Digests> {
  const hashers = newHashers(file);
  await feedFile(path, size, hashers);
  return { sha256: hashers.sha256?.digest('hex'), blobId: hashers.blob?.digest('hex'), size };
}

async function feedFile(path: string, length: number, hashers: Hashers): Promise<void> {
  if (!hashers.sha256 && !hashers.blob) return;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 })) {
    hashers.sha256?.update(chunk as Buffer);
    hashers.blob?.update(chunk as Buffer);
  }
}

function contentRangeStart(response: Response): number | undefined {
  const match = response.headers.get('content-range')?.match(/^bytes (\d+)-/);
  return match ? Number(match[1]) : undefined;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Content-addressed when the Hub gives a hash, so a resumed partial always belongs to the same bytes. */
function partialKey(download: FileDownload): string {
  const { file } = download;
  return file.sha256 ?? file.blobId ?? createHash('sha256').update(`${download.commit}\0${file.path}`).digest('hex');
}
