import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

describe('GET /v1/models', () => {
  let test: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    test = await startTestServer();
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('lists the served names (official SDK) with what each is the default for', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const llm = models.find((model) => model.id === 'tiny-llm');
    expect(llm).toMatchObject({ object: 'model', owned_by: 'mmkit' });
    expect((llm as unknown as { mmkit: { default_for: string[] } }).mmkit.default_for).toContain('chat');
    expect(models.map((model) => model.id)).toEqual(
      expect.arrayContaining(['tiny-llm', 'tiny-llava', 'tiny-clip', 'tiny-bert', 'espeak:en']),
    );
  });

  it('retrieves one by name, and says which it does not serve', async () => {
    expect(await client.models.retrieve('tiny-clip')).toMatchObject({ id: 'tiny-clip', object: 'model' });
    await expect(client.models.retrieve('gpt-9')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    // Hub ids keep their slash: the route takes it, and answers for the model, not the path.
    await expect(client.models.retrieve('Xenova/not-pulled')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    const traversal = await fetch(`${test.baseURL}/models/..%2F..%2Fetc`);
    expect(traversal.status).toBe(404);
  });
});
