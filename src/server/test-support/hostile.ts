/**
 * Helpers for the hostile-input suites: raw HTTP requests (paths exactly as written, bodies with or
 * without a length), crafted media (a pixel-bomb PNG header, truncated files), and the check every
 * error answer must pass.
 */
import { request } from 'node:http';
import { crc32 } from 'node:zlib';
import { expect } from 'vitest';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with the path sent byte for byte (fetch would normalise `..` and `%2e`). */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: Uint8Array | string; chunked?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        // A fresh connection each time: one the server cut after a 413 is never reused.
        agent: false,
        headers: {
          ...options.headers,
          ...(options.body !== undefined && !options.chunked
            ? { 'content-length': Buffer.byteLength(options.body) }
            : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    // The server may answer (413) and close before the whole body is sent: that is fine.
    const tolerate = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    };
    outgoing.on('error', tolerate);
    outgoing.on('socket', (socket) => socket.on('error', tolerate));
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
        for (let offset = 0; offset < body.length; offset += 1024 * 1024)
          outgoing.write(body.subarray(offset, offset + 1024 * 1024));
      } else {
        outgoing.write(options.body);
      }
    }
    outgoing.end();
  });
}

/** Status, and the `{error: {message, type, param, code}}` shape with no stack trace in it. */
export function expectErrorAnswer(response: RawResponse, status: number, code?: string): void {
  expect({ status: response.status, body: response.text.slice(0, 300) }).toMatchObject({ status });
  const body = JSON.parse(response.text) as { error: Record<string, unknown> };
  expect(typeof body.error.message).toBe('string');
  expect(typeof body.error.type).toBe('string');
  expect(typeof body.error.code).toBe('string');
  expect(body.error.param === null || typeof body.error.param === 'string').toBe(true);
  expect(response.text).not.toMatch(/\n\s+at |\.ts:\d+/);
  if (code !== undefined) expect(body.error.code).toBe(code);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A PNG that claims width × height pixels (a decompression bomb's header) with almost no data. */
export function pixelBombPng(width = 30_000, height = 30_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A GIF header claiming 65535 × 65535 pixels. */
export function pixelBombGif(): Buffer {
  const gif = Buffer.from('GIF89a\xff\xff\xff\xff\x00\x00\x00;', 'latin1');
  return gif;
}

/** A multipart body by hand, so a test controls every byte (file names with NUL, broken boundaries). */
export function multipartBody(
  parts: { name: string; value: Uint8Array | string; fileName?: string; type?: string }[],
  boundary = 'mmkit-test-boundary',
): { body: Buffer; contentType: string } {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.fileName === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.fileName}"`;
    const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`, 'utf8'));
    pieces.push(Buffer.from(part.value));
    pieces.push(Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A noisy image (so it compresses poorly and truncating it cuts real data). */
export async function noiseImage(format: 'png' | 'jpeg', size = 128): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
  const image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}
