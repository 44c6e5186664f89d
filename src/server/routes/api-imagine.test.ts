import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { listTree, startTestServer, type TestServer } from '../test-support/test-server.ts';

interface ImageEvent {
  index: number;
  url: string;
  seed: number;
  width: number;
  height: number;
  provenance: Record<string, string>;
}

/** Mean red, green, blue of an image the server serves. */
async function meanColour(url: string): Promise<number[]> {
  const png = Buffer.from(await (await fetch(url)).arrayBuffer());
  const { channels } = await sharp(png).stats();
  return channels.slice(0, 3).map((channel) => channel.mean);
}

describe('POST /api/imagine and GET /api/styles', () => {
  let test: TestServer;

  beforeAll(async () => {
    test = await startTestServer({ withImageAndSpeech: true });
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });

  const imagine = (body: unknown) =>
    fetch(`${test.url}/api/imagine`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('streams progress per step, then red PNGs with provenance under /outputs, then done', async () => {
    const response = await imagine({ prompt: 'a red apple', width: 64, height: 64, steps: 3, count: 2, seed: 7 });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    // One event per denoising step the model reports, in order, ending at its total.
    const progress = eventsOf<{ step: number; total_steps: number }>(events, 'progress');
    const total = progress[0]!.total_steps;
    expect(total).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual(Array.from({ length: total }, (_, index) => ({ step: index + 1, total_steps: total })));
    const images = eventsOf<ImageEvent>(events, 'image');
    expect(images.map((image) => [image.index, image.seed, image.width, image.height])).toEqual([
      [0, 7, 64, 64],
      [1, 8, 64, 64],
    ]);
    for (const image of images) {
      expect(image.url).toMatch(/^\/outputs\/\d{8}T\d{9}Z-[0-9a-f]{16}\.png$/);
      expect(image.provenance).toMatchObject({ prompt: 'a red apple', seed: String(image.seed), steps: '3' });
      const [red, green, blue] = await meanColour(`${test.url}${image.url}`);
      expect(red!).toBeGreaterThan(green! + 40);
      expect(red!).toBeGreaterThan(blue! + 40);
    }
    const [done] = eventsOf<{ images: ImageEvent[]; prompt: string; scheduler: string }>(events, 'done');
    expect(done!.images).toEqual(images);
    expect(done!.prompt).toBe('a red apple');
    expect(events.at(-1)!.event).toBe('done');
    // No scratch folder is left behind: only the PNGs and their sidecars.
    const outputs = (await listTree(test.dataDir)).filter((path) => path.startsWith('outputs/'));
    expect(outputs).toHaveLength(4);
  });

  it('applies a style (by its Chinese or English name) to the prompt', async () => {
    const events = await readEvents(
      await imagine({ prompt: 'a red apple', style: 'watercolor', width: 64, height: 64, steps: 1 }),
    );
    const [done] = eventsOf<{ prompt: string }>(events, 'done');
    expect(done!.prompt).toMatch(/^a red apple, watercolor painting/);
  });

  it.each([
    ['bad JSON', '{"prompt": ', 'invalid_json'],
    ['an empty prompt', { prompt: '  ' }, 'invalid_parameter'],
    ['a huge count', { prompt: 'x', count: 1000 }, 'invalid_parameter'],
    ['a negative width', { prompt: 'x', width: -512 }, 'invalid_parameter'],
    ['a width not a multiple of 8', { prompt: 'x', width: 100 }, 'invalid_parameter'],
    ['too many pixels', { prompt: 'x', width: 2048, height: 2048 }, 'size_too_large'],
    ['an unknown style', { prompt: 'x', style: 'cubism' }, 'unknown_style'],
    ['an unknown field', { prompt: 'x', evil: true }, 'unknown_parameter'],
    ['a prompt with NUL', { prompt: 'a\u0000b' }, 'invalid_parameter'],
    ['a prompt too long', { prompt: 'x'.repeat(5000) }, 'invalid_parameter'],
    ['a fractional seed', { prompt: 'x', seed: 1.5 }, 'invalid_parameter'],
    ['strength without a picture', { prompt: 'x', strength: 0.5 }, 'invalid_request'],
  ])('refuses %s with a 400 before streaming', async (_name, body, code) => {
    const response = await imagine(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('starts from a picture sent as a multipart form: kept blue at a low strength', async () => {
    const blue = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } } })
      .png()
      .toBuffer();
    const form = new FormData();
    for (const [name, value] of Object.entries({
      prompt: 'a red apple',
      steps: '10',
      guidance: '1',
      strength: '0.2',
    })) {
      form.set(name, value);
    }
    form.set('image', new Blob([new Uint8Array(blue)], { type: 'image/png' }), 'blue.png');
    const response = await fetch(`${test.url}/api/imagine`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    const [done] = eventsOf<{ images: ImageEvent[]; strength: number }>(events, 'done');
    expect(done!.strength).toBe(0.2);
    const [image] = done!.images;
    // No size: the picture's aspect ratio at the model's usual 512 × 512 pixels.
    expect([image!.width, image!.height]).toEqual([512, 512]);
    expect(image!.provenance.start_image).toMatch(/^\/uploads\//);
    const [red, , blueMean] = await meanColour(`${test.url}${image!.url}`);
    expect(blueMean!).toBeGreaterThan(red! + 40);

    // The form's fields are checked as the JSON ones are, and before the picture is stored.
    const bad = new FormData();
    bad.set('prompt', 'a red apple');
    bad.set('steps', 'many');
    bad.set('image', new Blob([new Uint8Array(blue)], { type: 'image/png' }), 'blue.png');
    const refused = await fetch(`${test.url}/api/imagine`, { method: 'POST', body: bad });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('steps');
  });

  it('refuses an unknown model with 404 before streaming', async () => {
    const response = await imagine({ prompt: 'x', model: '../../etc/passwd' });
    expect(response.status).toBe(404);
  });

  it('lists the five styles with Chinese and English labels', async () => {
    const { styles } = (await (await fetch(`${test.url}/api/styles`)).json()) as {
      styles: { name: string; label_zh: string; label_en: string; template: string }[];
    };
    expect(styles.map((style) => [style.name, style.label_zh, style.label_en])).toEqual([
      ['photorealistic', '写实', 'Photorealistic'],
      ['油画', '油画', 'Oil painting'],
      ['卡通', '卡通', 'Cartoon'],
      ['水彩', '水彩', 'Watercolour'],
      ['素描', '素描', 'Sketch'],
    ]);
    expect(styles[3]!.template).toMatch(/^watercolor painting/);
  });
});
