import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import type { ImageEditCompletedEvent } from 'openai/resources/images';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelBombPng } from '../test-support/hostile.ts';
import { listTree, startTestServer, type TestServer } from '../test-support/test-server.ts';

/** Mean of each RGB channel of a PNG. */
async function means(png: Buffer): Promise<number[]> {
  return (await sharp(png).stats()).channels.slice(0, 3).map((channel) => channel.mean);
}

async function plainPng(width: number, height: number, rgb: { r: number; g: number; b: number }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: rgb } })
    .png()
    .toBuffer();
}

const BLUE = { r: 30, g: 60, b: 220 };

describe('POST /v1/images/edits', () => {
  let test: TestServer;
  let client: OpenAI;
  let blue: Buffer;

  beforeAll(async () => {
    test = await startTestServer({ withImageAndSpeech: true });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    blue = await plainPng(96, 64, BLUE);
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });

  const edit = async (fields: Record<string, unknown>) =>
    client.images.edit({
      image: await toFile(blue, 'blue.png', { type: 'image/png' }),
      prompt: 'a red apple',
      response_format: 'b64_json',
      size: '64x64' as '256x256',
      ...({ steps: 10, seed: 5, guidance_scale: 1 } as object),
      ...fields,
    } as OpenAI.Images.ImageEditParamsNonStreaming);

  it('redraws the picture through the official SDK: a low strength keeps it blue, full strength paints it red', async () => {
    const kept = await edit({ strength: 0.2 });
    const [red, , blueMean] = await means(Buffer.from(kept.data![0]!.b64_json!, 'base64'));
    expect(blueMean).toBeGreaterThan(150);
    expect(red).toBeLessThan(100);
    const redrawn = await edit({ strength: 1 });
    const [red2, , blue2] = await means(Buffer.from(redrawn.data![0]!.b64_json!, 'base64'));
    expect(red2).toBeGreaterThan(150);
    expect(blue2).toBeLessThan(100);
    expect(redrawn.size).toBe('64x64');
  });

  it("keeps the picture's aspect ratio without a size, stores the upload, and names it in the provenance", async () => {
    const before = new Set(await readdir(join(test.dataDir, 'uploads')).catch(() => []));
    const result = await client.images.edit({
      image: await toFile(blue, 'blue.png', { type: 'image/png' }),
      prompt: 'a red apple',
      ...({ steps: 4, strength: 0.5 } as object),
    });
    // 96 × 64 at about 512 × 512 pixels.
    expect(result.size).toBe('624x416');
    const url = result.data![0]!.url!;
    const png = Buffer.from(await (await fetch(url)).arrayBuffer());
    const { readPngText } = await import('../../media/png-text.ts');
    const provenance = readPngText(png);
    expect(provenance.strength).toBe('0.5');
    expect(provenance.start_image).toMatch(/^\/uploads\/[\w-]+\.png$/);
    const added = (await readdir(join(test.dataDir, 'uploads'))).filter((name) => !before.has(name));
    expect(added.some((name) => provenance.start_image!.endsWith(name))).toBe(true);
  });

  it('inpaints with an OpenAI mask: transparent pixels repainted, the rest kept', async () => {
    const maskPixels = Buffer.alloc(96 * 64 * 4, 255);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 48; x++) maskPixels[(y * 96 + x) * 4 + 3] = 0;
    const mask = await sharp(maskPixels, { raw: { width: 96, height: 64, channels: 4 } })
      .png()
      .toBuffer();
    const result = await client.images.edit({
      image: await toFile(blue, 'blue.png', { type: 'image/png' }),
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      prompt: 'a red apple',
      size: '96x64' as '256x256',
      response_format: 'b64_json',
      ...({ steps: 4, guidance_scale: 1, seed: 2 } as object),
    });
    const png = Buffer.from(result.data![0]!.b64_json!, 'base64');
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3)];
    expect(at(10, 30)[0]!).toBeGreaterThan(at(10, 30)[2]! + 100);
    expect(at(85, 30)[2]!).toBeGreaterThan(at(85, 30)[0]! + 100);
  });

  it('streams image_edit events as OpenAI does', async () => {
    const stream = await client.images.edit({
      image: await toFile(blue, 'blue.png', { type: 'image/png' }),
      prompt: 'a red apple',
      size: '64x64' as '256x256',
      stream: true,
      partial_images: 1,
      ...({ steps: 10, strength: 1 } as object),
    });
    const types: string[] = [];
    let completed: ImageEditCompletedEvent | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'image_edit.completed') completed = event;
    }
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    expect(completed?.size).toBe('64x64');
  });

  it('refuses what it cannot do by name, before any work', async () => {
    const post = async (build: (form: FormData) => void) => {
      const form = new FormData();
      form.set('prompt', 'a red apple');
      build(form);
      const response = await fetch(`${test.baseURL}/images/edits`, { method: 'POST', body: form });
      return { status: response.status, body: (await response.json()) as { error: { param: string; code: string } } };
    };
    const picture = () => new Blob([new Uint8Array(blue)], { type: 'image/png' });
    const cases: Array<[string, (form: FormData) => void, number, string]> = [
      ['no picture', () => {}, 400, 'image'],
      ['the picture as text', (form) => form.set('image', 'blue.png'), 400, 'image'],
      [
        'two pictures',
        (form) => {
          form.append('image[]', picture(), 'a.png');
          form.append('image[]', picture(), 'b.png');
        },
        400,
        'image',
      ],
      [
        'an opaque mask (nothing to repaint)',
        (form) => {
          form.set('image', picture(), 'a.png');
          form.set('mask', picture(), 'mask.png');
        },
        400,
        'mask',
      ],
      ['a mask as text', (form) => form.set('mask', 'left half'), 400, 'mask'],
      [
        'strength 0',
        (form) => {
          form.set('image', picture(), 'a.png');
          form.set('strength', '0');
        },
        400,
        'strength',
      ],
      [
        'strength as a word',
        (form) => {
          form.set('image', picture(), 'a.png');
          form.set('strength', 'half');
        },
        400,
        'strength',
      ],
      ['not a picture', (form) => form.set('image', new Blob(['hello']), 'notes.txt'), 415, 'image'],
      [
        'a 30000 × 30000 PNG',
        (form) => form.set('image', new Blob([new Uint8Array(pixelBombPng())], { type: 'image/png' }), 'bomb.png'),
        400,
        'image',
      ],
      [
        'a truncated PNG',
        (form) => form.set('image', new Blob([new Uint8Array(blue.subarray(0, blue.length - 40))]), 'cut.png'),
        400,
        'image',
      ],
    ];
    const uploadsBefore = (await listTree(test.dataDir)).filter((path) => path.startsWith('uploads/'));
    for (const [name, build, status, param] of cases) {
      const answer = await post(build);
      expect([name, answer.status, answer.body.error.param]).toEqual([name, status, param]);
    }
    // Nothing refused was stored.
    expect((await listTree(test.dataDir)).filter((path) => path.startsWith('uploads/'))).toEqual(uploadsBefore);
    const huge = new FormData();
    huge.set('prompt', 'x');
    huge.set('image', new Blob([new Uint8Array(20 * 1024 * 1024)]), 'huge.png');
    expect((await fetch(`${test.baseURL}/images/edits`, { method: 'POST', body: huge })).status).toBe(413);
    // Strength on the text-to-image route: there is no picture to redraw.
    const generation = await fetch(`${test.baseURL}/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a red apple', strength: 0.5 }),
    });
    expect(generation.status).toBe(400);
    expect(((await generation.json()) as { error: { param: string } }).error.param).toBe('strength');
  });
});
