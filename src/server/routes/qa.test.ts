import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';

function qaForm(image: Uint8Array, fileName: string, question?: string, type = 'image/png'): FormData {
  const form = new FormData();
  if (question !== undefined) form.set('question', question);
  form.set('image', new Blob([image], { type }), fileName);
  return form;
}

describe('POST /qa and GET /uploads/<name>', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer();
  });
  afterAll(async () => {
    await test?.close();
  });

  it("answers the seed's shape, stores the upload under a server-made name, serves it back", async () => {
    const image = await solidImage({ r: 0, g: 0, b: 240 }, 'jpeg');
    // The declared type and the name both lie; the bytes are a JPEG.
    const response = await fetch(`${test.url}/qa`, {
      method: 'POST',
      body: qaForm(image, '../../../etc/passwd.png', '图片是什么颜色？', 'image/png'),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; question: string; answer: string; image_url: string };
    expect(body).toMatchObject({ status: 'success', question: '图片是什么颜色？', answer: 'blue' });
    expect(body.image_url).toMatch(/^\/uploads\/\d{8}T\d{9}Z-[0-9a-f]{16}\.jpg$/);
    const name = body.image_url.slice('/uploads/'.length);
    expect(await listTree(test.dataDir)).toEqual(['outputs', 'uploads', `uploads/${name}`, `uploads/${name}.json`]);
    const sidecar = JSON.parse(await readFile(join(test.dataDir, 'uploads', `${name}.json`), 'utf8'));
    expect(sidecar).toMatchObject({
      originalName: '../../../etc/passwd.png',
      declaredType: 'image/png',
      storedAs: name,
    });

    const served = await fetch(`${test.url}${body.image_url}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(image)).toBe(true);
    // The sidecar is metadata, never served.
    expect((await fetch(`${test.url}${body.image_url}.json`)).status).toBe(404);
  });

  it('takes AVIF and TIFF uploads, stored and served as PNG', async () => {
    for (const [format, colour] of [
      ['avif', 'red'],
      ['tiff', 'green'],
    ] as const) {
      const rgb = colour === 'red' ? { r: 240, g: 0, b: 0 } : { r: 0, g: 220, b: 0 };
      const image = await sharp({ create: { width: 32, height: 32, channels: 3, background: rgb } })
        .toFormat(format)
        .toBuffer();
      const response = await fetch(`${test.url}/qa`, {
        method: 'POST',
        body: qaForm(image, `photo.${format}`, 'What colour?', `image/${format}`),
      });
      expect(response.status, format).toBe(200);
      const body = (await response.json()) as { answer: string; image_url: string };
      expect(body.answer, format).toBe(colour);
      expect(body.image_url).toMatch(/\.png$/);
      const served = await fetch(`${test.url}${body.image_url}`);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect((await sharp(Buffer.from(await served.arrayBuffer())).metadata()).format).toBe('png');
    }
  });

  it('takes an iPhone HEIC upload, stored and served as PNG', async () => {
    const heic = await readFile('src/preprocess/image/fixtures/red-96x64.heic');
    const response = await fetch(`${test.url}/qa`, {
      method: 'POST',
      body: qaForm(heic, 'IMG_0001.HEIC', 'What colour?', 'image/heic'),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { answer: string; image_url: string };
    expect(body.answer).toBe('red');
    const served = await fetch(`${test.url}${body.image_url}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ width: 96, height: 64 });
  });

  it('reads the question from the form, not the query string (the seed page sends a form field)', async () => {
    const image = await solidImage({ r: 0, g: 200, b: 0 });
    const response = await fetch(`${test.url}/qa?question=colour`, { method: 'POST', body: qaForm(image, 'a.png') });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'error',
      error: { param: 'question', code: 'missing_parameter', type: 'invalid_request_error' },
    });
    expect(String(body.message)).toMatch(/form, not from the query string/);
  });

  it('answers each colour from the image itself', async () => {
    for (const [colour, rgb] of [
      ['red', { r: 240, g: 0, b: 0 }],
      ['green', { r: 0, g: 220, b: 0 }],
    ] as const) {
      const response = await fetch(`${test.url}/qa`, {
        method: 'POST',
        body: qaForm(await solidImage(rgb), 'x.png', 'What colour?'),
      });
      expect(((await response.json()) as { answer: string }).answer).toBe(colour);
    }
  });
});
