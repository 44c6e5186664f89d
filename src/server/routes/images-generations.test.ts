import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { ImageGenCompletedEvent, ImageGenPartialImageEvent } from 'openai/resources/images';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

async function isRed(png: Buffer): Promise<boolean> {
  const [red, green, blue] = (await sharp(png).stats()).channels.map((channel) => channel.mean);
  return red! > green! + 40 && red! > blue! + 40;
}

/** Mean absolute difference of two same-size images' RGB bytes (0–255). */
async function meanDistance(first: Buffer, second: Buffer): Promise<number> {
  const [a, b] = await Promise.all([first, second].map((png) => sharp(png).removeAlpha().raw().toBuffer()));
  let sum = 0;
  for (let index = 0; index < a!.length; index++) sum += Math.abs(a![index]! - b![index]!);
  return sum / a!.length;
}

describe('POST /v1/images/generations', () => {
  let test: TestServer;
  let client: OpenAI;

  let sdxlFolder: string;

  beforeAll(async () => {
    sdxlFolder = await mkdtemp(join(tmpdir(), 'mmkit-sdxl-'));
    await buildTinyModel('sdxl', sdxlFolder);
    test = await startTestServer({ withImageAndSpeech: true, extraModels: { 'tiny-sdxl': { id: sdxlFolder } } });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await test?.close();
    await rm(sdxlFolder, { recursive: true, force: true });
  });

  it('serves a Stable Diffusion XL model by name (its runner, its own one-step defaults)', async () => {
    const result = await client.images.generate({
      model: 'tiny-sdxl',
      prompt: 'a red apple',
      size: '64x64' as '256x256',
      response_format: 'b64_json',
    });
    const png = Buffer.from(result.data![0]!.b64_json!, 'base64');
    expect(await isRed(png)).toBe(true);
  });

  it('answers b64_json images of the asked size through the official SDK, with mmkit extras', async () => {
    const result = await client.images.generate({
      prompt: 'a red apple',
      n: 2,
      size: '64x72' as '256x256',
      response_format: 'b64_json',
      // mmkit's extras ride along in the body.
      ...({ steps: 3, seed: 3, guidance_scale: 7.5 } as object),
    });
    expect(result.data).toHaveLength(2);
    for (const image of result.data ?? []) {
      const png = Buffer.from(image.b64_json!, 'base64');
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 72]);
      expect(await isRed(png)).toBe(true);
      expect(image.revised_prompt).toBe('a red apple');
    }
  });

  it('answers absolute URLs the client can fetch', async () => {
    const result = await client.images.generate({
      prompt: 'a red apple',
      size: '64x64' as '256x256',
      ...({ steps: 3 } as object),
    });
    const url = result.data![0]!.url!;
    expect(url).toMatch(new RegExp(`^${test.url}/outputs/\\d{8}T\\d{9}Z-[0-9a-f]{16}\\.png$`));
    expect(await isRed(Buffer.from(await (await fetch(url)).arrayBuffer()))).toBe(true);
  });

  it('streams partial images and the finished image as OpenAI events to the official SDK', async () => {
    const stream = await client.images.generate({
      prompt: 'a red apple',
      size: '64x64' as '256x256',
      stream: true,
      partial_images: 2,
      ...({ steps: 4, seed: 5 } as object),
    });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    const [first, second, completed] = events as [
      ImageGenPartialImageEvent,
      ImageGenPartialImageEvent,
      ImageGenCompletedEvent,
    ];
    expect([first.partial_image_index, second.partial_image_index]).toEqual([0, 1]);
    const pngs = events.map((event) => Buffer.from(event.b64_json, 'base64'));
    for (const png of pngs) {
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    }
    expect(completed).toMatchObject({ size: '64x64', output_format: 'png', usage: { total_tokens: 0 } });
    expect(await isRed(pngs[2]!)).toBe(true);
    // Previews are the model's estimate of the finished image (the tiny UNet settles at once).
    for (const preview of pngs.slice(0, 2)) {
      expect(await isRed(preview)).toBe(true);
      expect(await meanDistance(preview, pngs[2]!)).toBeLessThan(8);
    }
    // The same seed without streaming gives the same finished image.
    const plain = await client.images.generate({
      prompt: 'a red apple',
      size: '64x64' as '256x256',
      response_format: 'b64_json',
      ...({ steps: 4, seed: 5 } as object),
    });
    expect(await meanDistance(Buffer.from(plain.data![0]!.b64_json!, 'base64'), pngs[2]!)).toBe(0);
  });

  it('sends no previews when partial_images is absent, and none for a 1-step run', async () => {
    for (const [steps, partialImages] of [
      [3, undefined],
      [1, 3],
    ] as const) {
      const stream = await client.images.generate({
        prompt: 'a red apple',
        size: '64x64' as '256x256',
        stream: true,
        ...(partialImages === undefined ? {} : { partial_images: partialImages }),
        ...({ steps } as object),
      });
      const types = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toEqual(['image_generation.completed']);
    }
  });

  it.each([
    ['huge n', { prompt: 'x', n: 100 }],
    ['a negative size', { prompt: 'x', size: '-512x512' }],
    ['a size not a multiple of 8', { prompt: 'x', size: '500x500' }],
    ['a size over the bound', { prompt: 'x', size: '99999x99999' }],
    ['a size in the wrong form', { prompt: 'x', size: '512' }],
    ['an unknown response_format', { prompt: 'x', response_format: 'gif' }],
    ['no prompt', { n: 1 }],
    ['steps out of range', { prompt: 'x', steps: 100000 }],
    ['an unknown style', { prompt: 'x', style: 'cubism' }],
    ['partial_images over 3', { prompt: 'x', stream: true, partial_images: 4 }],
  ])('refuses %s with a 400 the SDK reports', async (_name, body) => {
    const error = await client.images.generate(body as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).not.toMatch(/\.ts:\d+/);
  });

  it.each([
    ['2048x2048', "invalid 'size': at most 1048576 pixels per image", 'size_too_large'],
    ['4096x64', "invalid 'size': width 4096: ", 'invalid_request'],
  ])('names the size %s as the parameter at fault', async (size, message, code) => {
    const error = await client.images.generate({ prompt: 'x', size } as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect([refused.param, refused.code, refused.message.includes(message)]).toEqual(['size', code, true]);
  });
});
