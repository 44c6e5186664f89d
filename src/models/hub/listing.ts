/**
 * A repo's file list at one commit, from the Hub's JSON API:
 * `GET /api/models/{id}/revision/{revision}?blobs=true` gives the commit id and, per file, its size,
 * git blob id and (for LFS files) sha256. Should a server leave the sizes out, the tree API
 * (`/api/models/{id}/tree/{commit}?recursive=true`, paged by `Link` headers) fills them in.
 */
import { z } from 'zod';
import { MmkitError } from '../../errors.ts';
import { hubRequest, requestFailure, statusFailure, timeoutError } from './http.ts';
import { checkRepoId, checkRevision } from './repo-id.ts';
import type { HubSettings } from './settings.ts';

export interface RemoteFile {
  /** Path inside the repo, `/`-separated. */
  path: string;
  size: number;
  /** sha256 of the content, given for LFS files. */
  sha256?: string | undefined;
  /** Git blob id (sha1 of `blob <size>\0<content>`), given for regular files. */
  blobId?: string | undefined;
  /** Stored in LFS: the Hub redirects its download to a CDN. */
  lfs: boolean;
}

export interface RepoListing {
  id: string;
  /** What was asked for (branch, tag or commit). */
  revision: string;
  /** The commit the revision pointed at; downloads use it so one pull sees one commit. */
  commit: string;
  files: RemoteFile[];
}

const lfsSchema = z.object({ sha256: z.string().optional(), oid: z.string().optional(), size: z.number() });
const revisionSchema = z.object({
  sha: z.string(),
  siblings: z.array(
    z.object({
      rfilename: z.string(),
      size: z.number().optional(),
      blobId: z.string().optional(),
      lfs: lfsSchema.nullish(),
    }),
  ),
});
const treeSchema = z.array(
  z.object({ type: z.string(), path: z.string(), size: z.number(), oid: z.string(), lfs: lfsSchema.nullish() }),
);

export async function fetchRepoListing(
  id: string,
  revision: string,
  settings: HubSettings,
  signal?: AbortSignal,
): Promise<RepoListing> {
  checkRepoId(id);
  checkRevision(revision);
  const url = `${settings.endpoint}/api/models/${id}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const subject = `the file list of ${id}`;
  const info = parseWire(revisionSchema, await fetchJson(url, subject, id, settings, signal), subject, settings);
  let files: RemoteFile[] = info.siblings.map((sibling) => ({
    path: sibling.rfilename,
    size: sibling.lfs?.size ?? sibling.size ?? -1,
    sha256: sibling.lfs?.sha256 ?? sibling.lfs?.oid,
    blobId: sibling.lfs ? undefined : sibling.blobId,
    lfs: Boolean(sibling.lfs),
  }));
  if (files.some((file) => file.size < 0)) files = await fetchTree(id, info.sha, settings, signal);
  return { id, revision, commit: info.sha, files: files.filter((file) => isSafeRepoPath(file.path)) };
}

async function fetchTree(id: string, commit: string, settings: HubSettings, signal?: AbortSignal) {
  const files: RemoteFile[] = [];
  let url: string | undefined = `${settings.endpoint}/api/models/${id}/tree/${commit}?recursive=true`;
  for (let page = 0; url && page < 1000; page++) {
    const { body, next } = await fetchJsonPage(url, `the file tree of ${id}`, id, settings, signal);
    for (const entry of parseWire(treeSchema, body, `the file tree of ${id}`, settings)) {
      if (entry.type !== 'file') continue;
      files.push({
        path: entry.path,
        size: entry.lfs?.size ?? entry.size,
        sha256: entry.lfs?.oid ?? entry.lfs?.sha256,
        blobId: entry.lfs ? undefined : entry.oid,
        lfs: Boolean(entry.lfs),
      });
    }
    url = next;
  }
  return files;
}

async function fetchJson(url: string, subject: string, id: string, settings: HubSettings, signal?: AbortSignal) {
  return (await fetchJsonPage(url, subject, id, settings, signal)).body;
}

async function fetchJsonPage(
  url: string,
  subject: string,
  id: string,
  settings: HubSettings,
  signal?: AbortSignal,
): Promise<{ body: unknown; next: string | undefined }> {
  const request = { settings, url, subject, signal, headers: { accept: 'application/json' } };
  const { response, controller } = await hubRequest(request);
  if (!response.ok) throw await statusFailure(response, subject, id);
  let text: string;
  // The headers came in time; the body gets the same allowance so a stalled server cannot hang us.
  const timer = setTimeout(() => controller.abort(timeoutError(request, settings.timeoutMs)), settings.timeoutMs);
  try {
    text = await response.text();
  } catch (error) {
    throw requestFailure(error, request, controller, signal);
  } finally {
    clearTimeout(timer);
  }
  try {
    return { body: JSON.parse(text), next: nextPage(response.headers.get('link'), url) };
  } catch {
    throw badResponse(subject, settings);
  }
}

function parseWire<T>(schema: z.ZodType<T>, body: unknown, subject: string, settings: HubSettings): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw badResponse(subject, settings);
  return parsed.data;
}

function badResponse(subject: string, settings: HubSettings): MmkitError {
  return new MmkitError(
    `the server at ${settings.endpoint} did not send ${subject} in the Hub's format: check HF_ENDPOINT`,
    {
      code: 'hub_bad_response',
      type: 'runtime_error',
      status: 502,
    },
  );
}

function nextPage(link: string | null, current: string): string | undefined {
  const match = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
  return match ? new URL(match[1]!, current).toString() : undefined;
}

/** Paths from the network become paths on disk: refuse anything that could escape the snapshot. */
function isSafeRepoPath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.startsWith('/') &&
    !path.includes('\\') &&
    !path.includes('\0') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}
