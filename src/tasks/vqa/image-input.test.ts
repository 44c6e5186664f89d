import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MmkitError } from '../../errors.ts';
import { loadVqaImage } from './image-input.ts';
import { heicHeader, pngClaiming, RED, solidImage } from './test-support/images.ts';

const FIXTURES = 'src/preprocess/image/fixtures';

async function failure(promise: Promise<unknown>): Promise<MmkitError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MmkitError);
  return error as MmkitError;
}

describe('loadVqaImage: files and bytes', () => {
  it('accepts JPEG, PNG, WebP and GIF, from a path or bytes, with format and size', async () => {
    expect(await loadVqaImage(`${FIXTURES}/rocket.jpg`)).toMatchObject({
      name: `${FIXTURES}/rocket.jpg`,
      format: 'jpeg',
      mediaType: 'image/jpeg',
      width: 640,
      height: 427,
    });
    for (const format of ['png', 'webp', 'gif'] as const) {
      const bytes = await solidImage(RED, format);
      expect(await loadVqaImage(bytes)).toMatchObject({ bytes, name: 'image', format, width: 96, height: 64 });
    }
  });

  it('refuses files that are not images, empty or missing, with one line naming the file', async () => {
    expect((await failure(loadVqaImage('package.json'))).message).toBe(
      'package.json: not an image (expected JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP)',
    );
    expect((await failure(loadVqaImage(new Uint8Array(0)))).message).toBe('image: empty, not an image');
    expect(await failure(loadVqaImage('no/such/photo.png'))).toMatchObject({
      code: 'image_not_found',
      message: 'no/such/photo.png: no such file',
    });
    expect((await failure(loadVqaImage('src'))).message).toBe('src: not a file');
    const bmp = new Uint8Array([0x42, 0x4d, ...new Array(60).fill(0)]);
    expect((await failure(loadVqaImage(bmp))).code).toBe('image_unsupported');
    // The start of a HEIC file and nothing more.
    expect(await failure(loadVqaImage(heicHeader()))).toMatchObject({ code: 'image_unreadable' });
  });

  it('turns an iPhone HEIC into PNG', async () => {
    const image = await loadVqaImage(`${FIXTURES}/chelsea-small.heic`);
    expect(image).toMatchObject({ format: 'png', mediaType: 'image/png', width: 131, height: 197 });
    const heic = await readFile(`${FIXTURES}/chelsea-small.heic`);
    const truncated = await failure(loadVqaImage(new Uint8Array(heic.subarray(0, 6000))));
    expect(truncated).toMatchObject({ code: 'image_unreadable' });
    expect(truncated.message).toMatch(/^image: the HEIC image is truncated or corrupt/);
  });

  it('turns a BMP (Windows bitmap) into PNG', async () => {
    const image = await loadVqaImage(`${FIXTURES}/chelsea-48x32-bgr24.bmp`);
    expect(image).toMatchObject({ format: 'png', mediaType: 'image/png', width: 48, height: 32 });
  });

  it('turns AVIF and TIFF into PNG with the same pixels, and applies the orientation tag', async () => {
    for (const format of ['avif', 'tiff'] as const) {
      const image = await loadVqaImage(await solidImage(RED, format));
      expect(image).toMatchObject({ format: 'png', mediaType: 'image/png', width: 96, height: 64 });
      const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
      // AVIF is lossy: near the colour, not equal.
      for (const [channel, value] of RED.entries())
        expect(Math.abs(data[channel]! - value), format).toBeLessThanOrEqual(6);
    }
    // Orientation 6 (turn 90° clockwise to view): the PNG is the viewed image, 64 wide and 96 high.
    const turned = await sharp(await solidImage(RED, 'png'))
      .tiff()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await loadVqaImage(new Uint8Array(turned))).toMatchObject({ format: 'png', width: 64, height: 96 });
  });

  it('refuses a truncated TIFF and a TIFF over the pixel limit', async () => {
    const tiff = await solidImage(RED, 'tiff');
    expect((await failure(loadVqaImage(tiff.subarray(0, 200)))).code).toMatch(/^image_(truncated|unreadable)$/);
    expect(await failure(loadVqaImage(tiff, { maxPixels: 1000 }))).toMatchObject({ code: 'image_too_large' });
  });

  it.each([
    ['JPEG', `${FIXTURES}/rocket.jpg`],
    ['PNG', `${FIXTURES}/astronaut-palette.png`],
    ['GIF', `${FIXTURES}/coffee-two-frames.gif`],
    ['WebP', `${FIXTURES}/retina.webp`],
  ])('refuses a truncated %s before any model reads it', async (format, path) => {
    const bytes = await readFile(path);
    const error = await failure(loadVqaImage(new Uint8Array(bytes.subarray(0, Math.floor(bytes.length * 0.6)))));
    expect(error.code).toMatch(/^image_(truncated|unreadable)$/);
    expect(error.message).toMatch(/^image: /);
    if (format !== 'WebP') expect(error.message).toContain(`the ${format} image is truncated or corrupt`);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = await pngClaiming(30_000, 30_000);
    const error = await failure(loadVqaImage(bomb));
    expect(error).toMatchObject({ code: 'image_too_large' });
    expect(error.message).toBe('image: 30000×30000 is 900000000 pixels, over the limit of 50000000');
    // The bound is an option.
    expect((await failure(loadVqaImage(await solidImage(RED), { maxPixels: 1000 }))).message).toBe(
      'image: 96×64 is 6144 pixels, over the limit of 1000',
    );
  });

  it('refuses files over the byte limit before reading them', async () => {
    const error = await failure(loadVqaImage(`${FIXTURES}/rocket.jpg`, { maxBytes: 1000 }));
    expect(error.message).toMatch(
      /^src\/preprocess\/image\/fixtures\/rocket\.jpg: \d+ bytes, over the image limit of 1000 bytes$/,
    );
  });
});

describe('loadVqaImage: URLs', () => {
  let server: Server;
  let base: string;
  let png: Uint8Array;

  beforeAll(async () => {
    png = await solidImage(RED, 'png');
    server = createServer((request, response) => {
      if (request.url === '/red.png') {
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
        response.end(png);
      } else if (request.url === '/endless') {
        // No Content-Length: only counting the bytes can stop it.
        response.writeHead(200, { 'content-type': 'image/png' });
        const chunk = Buffer.alloc(64 * 1024);
        const timer = setInterval(() => response.write(chunk), 1);
        response.on('close', () => clearInterval(timer));
      } else if (request.url === '/stall') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.write(png.subarray(0, 10));
      } else {
        response.writeHead(404, 'Not Found');
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads and checks an image from an http URL', async () => {
    const image = await loadVqaImage(`${base}/red.png`);
    expect(image).toMatchObject({ name: `${base}/red.png`, format: 'png', width: 96, height: 64 });
    expect(Buffer.from(image.bytes).equals(Buffer.from(png))).toBe(true);
    expect((await loadVqaImage(new URL(`${base}/red.png`))).format).toBe('png');
  });

  it('stops at the size limit, whether or not the server declares the length', async () => {
    expect((await failure(loadVqaImage(`${base}/red.png`, { maxBytes: 100 }))).message).toBe(
      `${base}/red.png: the image is larger than the limit of 100 bytes`,
    );
    expect((await failure(loadVqaImage(`${base}/endless`, { maxBytes: 1_000_000 }))).code).toBe('image_too_large');
  });

  it('gives up on a server that stalls, and reports HTTP errors and other schemes', async () => {
    expect(await failure(loadVqaImage(`${base}/stall`, { fetchTimeoutMs: 300 }))).toMatchObject({
      code: 'image_fetch_timeout',
      message: `${base}/stall: cannot download the image (no complete answer within 0.3 s)`,
    });
    expect((await failure(loadVqaImage(`${base}/missing.png`))).message).toBe(
      `${base}/missing.png: cannot download the image (HTTP 404 Not Found)`,
    );
    expect((await failure(loadVqaImage(new URL('ftp://example.com/a.png')))).code).toBe('image_url_unsupported');
  });

  it('rejects with the AbortError when the caller cancels a download', async () => {
    const controller = new AbortController();
    const loading = loadVqaImage(`${base}/stall`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
  });
});
