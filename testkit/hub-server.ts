/**
 * A Hugging Face Hub look-alike for tests: serves repos from local folders over the same HTTP API
 * the real Hub speaks (revision and tree JSON with sizes, git blob ids and LFS sha256;
 * `resolve/` with Range support; LFS files redirected to a second "CDN" origin, as the real Hub
 * does), plus faults on demand: a connection cut mid-file, a stall, corrupt bytes, private repos.
 * Binds 127.0.0.1 on free ports.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export interface HubServerRepo {
  id: string;
  folder: string;
  /** Branch name served besides the commit id (default `main`). */
  revision?: string;
  /** Needs `Authorization: Bearer <token>` (401 without it). */
  private?: boolean;
}

export interface HubServerOptions {
  repos: HubServerRepo[];
  /** The token private repos accept. */
  token?: string;
  /** Files larger than this, and every `.onnx` / `.onnx_data*`, are "LFS" (default 64 KiB). */
  lfsThreshold?: number;
  /** Leave sizes out of the revision API (a client must fall back to the tree API). */
  revisionWithoutSizes?: boolean;
  /** Entries per page of the tree API (default 1000, like the Hub); pages link with `Link: rel="next"`. */
  treePageSize?: number;
}

export interface LoggedRequest {
  origin: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
}

interface ServedFile {
  path: string;
  bytes: Buffer;
  sha256: string;
  blobId: string;
  lfs: boolean;
}

interface ServedRepo extends HubServerRepo {
  commit: string;
  files: Map<string, ServedFile>;
}

export interface HubServer {
  /** Use as `HF_ENDPOINT`. */
  url: string;
  cdnUrl: string;
  requests: LoggedRequest[];
  /** The commit id a repo is served at. */
  commitOf(repoId: string): string;
  /** The next download of this file sends `afterBytes` bytes (default half) and drops the connection. */
  cutOnce(repoId: string, path: string, afterBytes?: number): void;
  /** The next download of this file sends `afterBytes` bytes and then nothing, keeping the connection open. */
  stallOnce(repoId: string, path: string, afterBytes?: number): void;
  /** Every download of this file has one byte flipped (same length), until `repair`. */
  corrupt(repoId: string, path: string): void;
  repair(repoId: string, path: string): void;
  /** File downloads (hub or CDN) of a repo path, counted from the request log. */
  downloadsOf(repoId: string, path: string): LoggedRequest[];
  close(): Promise<void>;
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const threshold = options.lfsThreshold ?? 64 * 1024;
  const repos = new Map(options.repos.map((repo) => [repo.id, loadRepo(repo, threshold)]));
  const requests: LoggedRequest[] = [];
  const cuts = new Map<string, { afterBytes: number | undefined; stall: boolean }>();
  const corrupted = new Set<string>();
  let hubUrl = '';
  let cdnUrl = '';

  const sendFile = (request: IncomingMessage, response: ServerResponse, repo: ServedRepo, file: ServedFile) => {
    const key = `${repo.id}/${file.path}`;
    let bytes = file.bytes;
    if (corrupted.has(key)) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    }
    const range = parseRange(request.headers.range, bytes.length);
    if (range === 'invalid') {
      response.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
      return;
    }
    const [start, end] = range ?? [0, bytes.length - 1];
    const headers: Record<string, string | number> = {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      etag: `"${file.lfs ? file.sha256 : file.blobId}"`,
      'x-repo-commit': repo.commit,
    };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${bytes.length}`;
    response.writeHead(range ? 206 : 200, headers);
    if (request.method === 'HEAD') return void response.end();
    const body = bytes.subarray(start, end + 1);
    const fault = cuts.get(key);
    if (!fault) return void response.end(body);
    cuts.delete(key);
    const sent = Math.min(body.length, fault.afterBytes ?? body.length >> 1);
    response.write(body.subarray(0, sent), () => {
      if (!fault.stall) response.socket?.destroy();
    });
  };

  const hub = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const log = logRequest(requests, 'hub', request, response);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const api = parts[0] === 'api' && parts[1] === 'models';
    const [owner, name] = api ? parts.slice(2, 4) : parts.slice(0, 2);
    const repo = repos.get(`${owner}/${name}`);
    if (!repo) return void error(response, 404, 'RepoNotFound', 'Repository not found', log);
    if (repo.private && request.headers.authorization !== `Bearer ${options.token}`) {
      return void error(response, 401, 'RepoNotFound', 'Invalid username or password.', log);
    }
    const verb = api ? parts[4] : parts[2];
    const rest = api ? parts.slice(5) : parts.slice(3);
    // The revision is one URL segment (`refs%2Fpr%2F1` arrives decoded as `refs/pr/1`).
    const revision = rest[0] ?? '';
    if (revision !== repo.commit && revision !== (repo.revision ?? 'main')) {
      return void error(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`, log);
    }
    const filePath = rest.slice(1).join('/');
    if (api && verb === 'revision') return void json(response, revisionInfo(repo, url, options), log);
    if (api && verb === 'tree') return void treePage(response, repo, url, filePath, options.treePageSize ?? 1000, log);
    if (!api && verb === 'resolve') {
      const file = repo.files.get(filePath);
      if (!file) return void error(response, 404, 'EntryNotFound', `${filePath} does not exist`, log);
      if (!file.lfs) return void sendFile(request, response, repo, file);
      response.writeHead(302, {
        location: `${cdnUrl}${cdnPath(repo, file)}?expires=9999999999&signature=test`,
        'x-linked-size': file.bytes.length,
        'x-linked-etag': `"${file.sha256}"`,
        'x-repo-commit': repo.commit,
      });
      return void response.end();
    }
    error(response, 404, 'EntryNotFound', 'Not found', log);
  });

  const cdn = createServer((request, response) => {
    logRequest(requests, 'cdn', request, response);
    // `/repos/<url-encoded repo id>/<sha256>`, like the real CDN's content-addressed URLs.
    const [, , encodedId, sha] = new URL(request.url ?? '/', 'http://localhost').pathname.split('/');
    const repo = repos.get(decodeURIComponent(encodedId ?? ''));
    const file = [...(repo?.files.values() ?? [])].find((candidate) => candidate.lfs && candidate.sha256 === sha);
    if (!repo || !file) return void response.writeHead(404).end('NoSuchKey');
    sendFile(request, response, repo, file);
  });

  hubUrl = await listen(hub);
  cdnUrl = await listen(cdn);
  return {
    url: hubUrl,
    cdnUrl,
    requests,
    commitOf: (repoId) => repos.get(repoId)?.commit ?? '',
    cutOnce: (repoId, path, afterBytes) => void cuts.set(`${repoId}/${path}`, { afterBytes, stall: false }),
    stallOnce: (repoId, path, afterBytes) => void cuts.set(`${repoId}/${path}`, { afterBytes, stall: true }),
    corrupt: (repoId, path) => void corrupted.add(`${repoId}/${path}`),
    repair: (repoId, path) => void corrupted.delete(`${repoId}/${path}`),
    downloadsOf(repoId, path) {
      const repo = repos.get(repoId);
      const file = repo?.files.get(path);
      if (!repo || !file) return [];
      const hubPath = `/${repoId}/resolve/`;
      return requests.filter((entry) =>
        file.lfs
          ? entry.origin === 'cdn' && entry.path.startsWith(cdnPath(repo, file))
          : entry.origin === 'hub' && entry.path.startsWith(hubPath) && entry.path.endsWith(`/${path}`),
      );
    },
    async close() {
      for (const server of [hub, cdn]) server.closeAllConnections();
      await Promise.all([hub, cdn].map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

function cdnPath(repo: ServedRepo, file: ServedFile): string {
  return `/repos/${encodeURIComponent(repo.id)}/${file.sha256}`;
}

function loadRepo(repo: HubServerRepo, threshold: number): ServedRepo {
  const files = new Map<string, ServedFile>();
  for (const absolute of walk(repo.folder)) {
    const path = relative(repo.folder, absolute).split(sep).join('/');
    const bytes = readFileSync(absolute);
    const blobId = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const lfs = bytes.length > threshold || /\.onnx(_data(_\d+)?)?$/.test(path);
    files.set(path, { path, bytes, sha256, blobId, lfs });
  }
  const commit = createHash('sha1')
    .update([...files.values()].map((file) => `${file.path}:${file.blobId}`).join('\n'))
    .digest('hex');
  return { ...repo, commit, files };
}

function walk(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)]))
    .sort();
}

function revisionInfo(repo: ServedRepo, url: URL, options: HubServerOptions) {
  const withBlobs = url.searchParams.get('blobs') === 'true' && !options.revisionWithoutSizes;
  const siblings = [...repo.files.values()].map((file) =>
    withBlobs
      ? {
          rfilename: file.path,
          blobId: file.lfs ? undefined : file.blobId,
          size: file.bytes.length,
          lfs: file.lfs ? { sha256: file.sha256, size: file.bytes.length, pointerSize: 134 } : undefined,
        }
      : { rfilename: file.path },
  );
  return { _id: repo.commit.slice(0, 24), id: repo.id, sha: repo.commit, private: Boolean(repo.private), siblings };
}

function treePage(response: ServerResponse, repo: ServedRepo, url: URL, folder: string, pageSize: number, log: Log) {
  const entries = [...repo.files.values()]
    .filter((file) => folder === '' || file.path.startsWith(`${folder}/`))
    .map((file) => ({
      type: 'file',
      oid: file.blobId,
      size: file.lfs ? 134 : file.bytes.length,
      path: file.path,
      lfs: file.lfs ? { oid: file.sha256, size: file.bytes.length, pointerSize: 134 } : undefined,
    }));
  const start = Number(url.searchParams.get('cursor') ?? 0);
  const headers: Record<string, string> = {};
  if (start + pageSize < entries.length) {
    const next = new URL(url.toString());
    next.searchParams.set('cursor', String(start + pageSize));
    headers.link = `<${next.pathname}${next.search}>; rel="next"`;
  }
  json(response, entries.slice(start, start + pageSize), log, headers);
}

type Log = LoggedRequest;

function logRequest(
  requests: LoggedRequest[],
  origin: 'hub' | 'cdn',
  request: IncomingMessage,
  response: ServerResponse,
) {
  const entry: LoggedRequest = {
    origin,
    method: request.method ?? 'GET',
    path: request.url ?? '/',
    range: request.headers.range,
    authorization: request.headers.authorization,
    status: 0,
  };
  requests.push(entry);
  response.on('finish', () => (entry.status = response.statusCode));
  response.on('close', () => (entry.status ||= response.statusCode));
  return entry;
}

function json(response: ServerResponse, body: unknown, _log: Log, headers: Record<string, string> = {}) {
  response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function error(response: ServerResponse, status: number, code: string, message: string, _log: Log) {
  response
    .writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message })
    .end(JSON.stringify({ error: message }));
}

function parseRange(header: string | undefined, size: number): [number, number] | 'invalid' | undefined {
  const match = header?.match(/^bytes=(\d+)-(\d*)$/);
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] ? Math.min(Number(match[2]), size - 1) : size - 1;
  return start >= size || end < start ? 'invalid' : [start, end];
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}
