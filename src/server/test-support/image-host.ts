/**
 * A local http server that serves images for `image_url` tests: `/red.png`, `/big` (more bytes than
 * any limit, no Content-Length), `/stall` (headers, then nothing), `/missing` (404).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageHost {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startImageHost(images: Record<string, Uint8Array>): Promise<ImageHost> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const image = images[path.slice(1)];
    if (image) {
      response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': image.length });
      response.end(image);
    } else if (path === '/big') {
      response.writeHead(200, { 'Content-Type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const push = () => {
        while (sent < 64 * 1024 * 1024 && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) return response.once('drain', push);
        }
        response.end();
      };
      push();
    } else if (path === '/stall') {
      response.writeHead(200, { 'Content-Type': 'image/png' });
      response.write(Buffer.from([0x89]));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
