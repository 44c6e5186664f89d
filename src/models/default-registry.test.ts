import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../testkit/build.ts';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../testkit/openai-server.ts';
import { createDefaultRegistry } from './default-registry.ts';

describe('createDefaultRegistry', () => {
  let root: string;
  let server: OpenAiTestServer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-registry-'));
    server = await startOpenAiTestServer();
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves every provider mmkit ships', () => {
    expect(createDefaultRegistry().providerNames()).toEqual(['espeak', 'onnx', 'openai', 'tesseract']);
  });

  it('loads a local onnx chat model and an openai-compatible one by id', async () => {
    const folder = join(root, 'llm');
    await buildTinyModel('llm', folder);
    const registry = createDefaultRegistry();
    const local = await registry.load('chat', folder);
    const request = {
      messages: [{ role: 'user' as const, content: 'hi there' }],
      maxNewTokens: 20,
      temperature: 0,
      topP: 1,
    };
    expect((await local.generate(request)).text).toBe('hi there');
    const remote = await registry.load('chat', `openai:echo@${server.baseURL}`);
    expect((await remote.generate(request)).text).toBe('hi there');
    expect(server.requests.at(-1)?.path).toContain('/chat/completions');
  });

  it('loads a local Stable Diffusion export for image generation', async () => {
    const folder = join(root, 'sd');
    await buildTinyModel('sd', folder);
    const model = await createDefaultRegistry().load('imageGeneration', folder);
    const result = await model.generate({
      prompt: 'a red apple',
      width: 64,
      height: 64,
      steps: 10,
      guidanceScale: 7.5,
      count: 1,
      seed: 1,
    });
    const [image] = result.images;
    let red = 0;
    let blue = 0;
    for (let i = 0; i < image.pixels.length; i += 3) {
      red += image.pixels[i];
      blue += image.pixels[i + 2];
    }
    expect(red).toBeGreaterThan(2 * blue);
  });

  it('loads the offline voice and OCR with no download', async () => {
    const registry = createDefaultRegistry();
    const speech = await registry.load('speech');
    expect(speech.voices).toContain('cmn');
    const ocr = await registry.load('ocr', 'tesseract:eng');
    expect(ocr.languages).toEqual(['eng']);
  });

  it('resolves a repo id through the Hub cache and says how to pull it when offline', async () => {
    const previous = process.env.MMKIT_OFFLINE;
    const previousHome = process.env.MMKIT_HOME;
    process.env.MMKIT_OFFLINE = '1';
    process.env.MMKIT_HOME = join(root, 'home');
    try {
      await expect(createDefaultRegistry().load('ctc', 'someone/absent-model')).rejects.toThrow(
        /mmkit models pull someone\/absent-model/,
      );
    } finally {
      if (previous === undefined) delete process.env.MMKIT_OFFLINE;
      else process.env.MMKIT_OFFLINE = previous;
      if (previousHome === undefined) delete process.env.MMKIT_HOME;
      else process.env.MMKIT_HOME = previousHome;
    }
  });
});
