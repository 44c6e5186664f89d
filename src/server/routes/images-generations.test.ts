import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

async function isRed(png: Buffer): Promise<boolean> {
  const [red, green, blue] = (await sharp(png).stats()).channels.map((channel) => channel.mean);
  return red! > green! + 40 && red! > blue! + 40;
}

describe('POST /v1/images/generations', () => {
  let test: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    test = await startTestServer({ withImageAndSpeech: true });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  }, 60_000);
  afterAll(async () => {
    await test?.close();
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

  it('streams progress and then the same body when stream is true', async () => {
    const response = await fetch(`${test.baseURL}/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: 'a red apple',
        size: '64x64',
        steps: 2,
        stream: true,
        response_format: 'b64_json',
      }),
    });
    const events = await readEvents(response);
    expect(eventsOf(events, 'progress').length).toBeGreaterThanOrEqual(2);
    const [done] = eventsOf<{ data: { b64_json: string }[] }>(events, 'done');
    expect(await isRed(Buffer.from(done!.data[0]!.b64_json, 'base64'))).toBe(true);
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
  ])('refuses %s with a 400 the SDK reports', async (_name, body) => {
    const error = await client.images.generate(body as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).not.toMatch(/\.ts:\d+/);
  });
});
