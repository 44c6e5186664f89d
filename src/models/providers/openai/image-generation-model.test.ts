import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import type { GeneratedImage, ImageGenerationRequest } from '../../spec/index.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ models: ['sd-turbo'] });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const request: ImageGenerationRequest = {
  prompt: 'a red fox',
  negativePrompt: 'blurry',
  width: 8,
  height: 6,
  steps: 4,
  guidanceScale: 0,
  count: 2,
  seed: 7,
};

function model(options = {}) {
  return createOpenAiProvider({ baseURL: server.baseURL }).imageGenerationModel('sd-turbo', options);
}

/** Every pixel of the image is this RGB colour. */
function expectSolid(image: GeneratedImage, rgb: [number, number, number]): void {
  expect(image.pixels.length).toBe(image.width * image.height * 3);
  for (let offset = 0; offset < image.pixels.length; offset += 3) {
    expect([image.pixels[offset], image.pixels[offset + 1], image.pixels[offset + 2]]).toEqual(rgb);
  }
}

describe('OpenAiImageGenerationModel', () => {
  it('batches with n, sends only OpenAI fields, decodes the PNGs to RGB', async () => {
    const progress: number[] = [];
    const result = await model().generate({ ...request, onProgress: (update) => progress.push(update.step) });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].json).toEqual({
      model: 'sd-turbo',
      prompt: 'a red fox',
      n: 2,
      size: '8x6',
      response_format: 'b64_json',
    });
    expect(result.images.map((image) => [image.width, image.height, image.seed])).toEqual([
      [8, 6, 7],
      [8, 6, 8],
    ]);
    // The server paints red for "red", blue = 60 × the image's index in its request.
    expectSolid(result.images[0], [200, 0, 0]);
    expectSolid(result.images[1], [200, 0, 60]);
    expect(result.scheduler).toBe('server default');
    expect(progress).toEqual([4]);
  });

  it('with extra fields accepted: one request per seed, renamed fields, images follow their seeds', async () => {
    const result = await model({
      extraFields: ['negative_prompt', 'seed', 'steps', 'guidance_scale'],
      extraFieldNames: { steps: 'num_inference_steps' },
      scheduler: 'EulerDiscreteScheduler',
    }).generate(request);
    expect(server.requests.map((sent) => sent.json)).toEqual([
      {
        model: 'sd-turbo',
        prompt: 'a red fox',
        n: 1,
        size: '8x6',
        response_format: 'b64_json',
        negative_prompt: 'blurry',
        seed: 7,
        num_inference_steps: 4,
        guidance_scale: 0,
      },
      expect.objectContaining({ n: 1, seed: 8 }),
    ]);
    expectSolid(result.images[0], [200, 7, 0]);
    expectSolid(result.images[1], [200, 8, 0]);
    expect(result.scheduler).toBe('EulerDiscreteScheduler');
  });

  it('splits a count over the server limit into several requests', async () => {
    const result = await model({ maxImagesPerRequest: 2 }).generate({ ...request, prompt: 'a cat', count: 3 });
    expect(server.requests.map((sent) => sent.json?.n)).toEqual([2, 1]);
    expectSolid(result.images[2], [20, 0, 0]);
  });

  it('rejects bad requests before sending and a missing b64_json after', async () => {
    await expect(model().generate({ ...request, count: 0 })).rejects.toThrow(
      'image generation: count must be an integer',
    );
    await expect(model().generate({ ...request, width: 0 })).rejects.toThrow('width must be a positive integer');
    expect(server.requests).toHaveLength(0);
    server.failNext({ type: 'reply', contentType: 'application/json', body: '{"data":[{"url":"https://x/y.png"}]}' });
    await expect(model().generate({ ...request, count: 1 })).rejects.toThrow(
      'image 0 has no b64_json (the server ignored response_format)',
    );
    server.failNext({ type: 'reply', contentType: 'application/json', body: '{"data":[{"b64_json":"bm90IGEgcG5n"}]}' });
    await expect(model().generate({ ...request, count: 1 })).rejects.toThrow('the returned image does not decode');
  });
});
