/**
 * `GET /uploads/<name>` and `GET /outputs/<name>`: stored files, by names the server made. Any other
 * name (traversal, encoded slashes, NUL, a sidecar) is a 404 before the file system is touched;
 * the content type comes from the extension, which came from the sniffed bytes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { notFound } from '../http-errors.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import type { StoreArea } from '../uploads/file-store.ts';

export function storedFilesRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  for (const area of ['uploads', 'outputs'] as const satisfies StoreArea[]) {
    app.get(`/${area}/:name`, async (c) => {
      const name = c.req.param('name');
      const found = await services.files.find(area, name);
      if (!found) throw notFound(`no such file in /${area}`, 'file_not_found', 'name');
      const body = Readable.toWeb(createReadStream(found.path)) as ReadableStream<Uint8Array>;
      return c.body(body, 200, {
        'Content-Type': found.contentType,
        'Content-Length': String(found.bytes),
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Cache-Control': 'private, max-age=86400, immutable',
      });
    });
  }
  return app;
}
