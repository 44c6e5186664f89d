import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNamedEchoModel, writeLowercaseAdapter } from '../../models/adapters/test-support/lowercase-adapter.ts';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/** LoRA adapters served like vLLM serves them: each under its own model name, listed with its parent. */
describe('adapters in the server', () => {
  let root: string;
  let test: TestServer;
  const previousHome = process.env.MMKIT_HOME;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-adapter-serving-'));
    process.env.MMKIT_HOME = join(root, 'home');
    await buildNamedEchoModel(join(root, 'llm'));
    writeLowercaseAdapter(join(root, 'lowercase'));
    test = await startTestServer({
      extraModels: { 'named-llm': { id: join(root, 'llm') } },
      adapters: { lowercase: { base: 'named-llm', path: join(root, 'lowercase') } },
    });
  });
  afterAll(async () => {
    await test?.close();
    if (previousHome === undefined) delete process.env.MMKIT_HOME;
    else process.env.MMKIT_HOME = previousHome;
    await rm(root, { recursive: true, force: true });
  });

  const chat = (model: string) =>
    fetch(`${test.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello World' }], temperature: 0 }),
    });

  it('lists each adapter with its base model as parent', async () => {
    const { data } = (await (await fetch(`${test.baseURL}/models`)).json()) as { data: Record<string, unknown>[] };
    expect(data.find((model) => model.id === 'lowercase')).toEqual({
      id: 'lowercase',
      object: 'model',
      created: 0,
      owned_by: 'mmkit',
      parent: 'named-llm',
      mmkit: { source: 'adapter', default_for: [] },
    });
  });

  it('answers with the adapter chosen by model name, with the base model by its own name', async () => {
    const tuned = await chat('lowercase');
    expect(tuned.status).toBe(200);
    expect(await tuned.json()).toMatchObject({
      model: 'lowercase',
      choices: [{ message: { content: 'hello world' } }],
    });
    const base = await chat('named-llm');
    expect(((await base.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(
      'Hello World',
    );
    // Two loaded models: the base, and the base with the adapter.
    const ps = (await (await fetch(`${test.url}/api/ps`)).json()) as { models: { key: string }[] };
    const keys = ps.models.map((model) => model.key).filter((key) => key.includes(join(root, 'llm')));
    expect(keys.sort()).toEqual([`chat:onnx:${join(root, 'llm')}`, `chat:onnx:${join(root, 'llm')}+adapter:lowercase`]);
  });

  it('answers an unknown adapter with a 404 in the error shape', async () => {
    const response = await chat('uppercase');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { code: 'model_not_found', param: 'model', type: 'not_found_error' },
    });
  });
});
