/**
 * `GET /` and the files under it: the built web UI (`web/dist`, from `npm run build:web`). Only
 * plain files inside that folder are served: the path is decoded once and refused if it holds
 * `..`, a backslash, NUL or a dot-file segment, then resolved and checked to still be inside; the
 * content type comes from a fixed table of extensions. Registered after every other route.
 */
import { createReadStream, existsSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { notFound } from '../http-errors.ts';
import { routeNotFound } from '../middleware/error-handler.ts';
import type { ServerEnv } from '../server-context.ts';

/** `web/dist` of this package: beside the nearest package.json above this file (src/ or dist/src/). */
export const DEFAULT_WEB_DIR = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'web', 'dist');

function packageRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) return from;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function relativeFile(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return ['index.html'];
  return segments.every((segment) => SAFE_SEGMENT.test(segment) && !segment.includes('..')) ? segments : undefined;
}

export function webUiRoutes(webDir: string): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const root = resolve(webDir);

  app.get('/*', async (c) => {
    // Not a UI file: the same 404 as any unknown route.
    const missing = () => routeNotFound(c);
    const segments = relativeFile(new URL(c.req.url).pathname);
    if (!segments) throw missing();
    const contentType = CONTENT_TYPES[extname(segments.at(-1)!).toLowerCase()];
    if (!contentType) throw missing();
    const path = join(root, ...segments);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) {
      if (segments.length === 1 && segments[0] === 'index.html') {
        throw notFound('the web UI is not built: run npm run build:web (npm start does it)', 'web_ui_missing');
      }
      throw missing();
    }
    // Symlinks are not followed out of the folder (lstat said plain file; check the real path too).
    const real = await realpath(path);
    const realRoot = await realpath(root);
    if (!real.startsWith(realRoot + sep)) throw missing();
    const immutable = segments[0] === 'assets';
    return c.body(Readable.toWeb(createReadStream(real)) as ReadableStream<Uint8Array>, 200, {
      'Content-Type': contentType,
      'Content-Length': String(info.size),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });

  return app;
}
