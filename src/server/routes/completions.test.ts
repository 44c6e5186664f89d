import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

/** A prompt in the tiny echo model's own chat format: the raw continuation is the echo. */
const asked = (text: string) => `<|user|>\n${text}<|end|>\n<|assistant|>\n`;

describe('POST /v1/completions', () => {
  let test: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    test = await startTestServer();
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('continues the raw prompt (official SDK): no chat template around it, usage counted', async () => {
    const completion = await client.completions.create({ model: 'tiny-llm', prompt: asked('hello'), temperature: 0 });
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.choices[0]).toMatchObject({ index: 0, text: 'hello', finish_reason: 'stop', logprobs: null });
    // <|user|> \n hello <|end|> \n <|assistant|> \n: 11 byte and marker tokens; hello and <|end|>: 6.
    expect(completion.usage).toEqual({ prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 });
    // Half an answer in the prompt: the model goes on from there.
    const rest = await client.completions.create({
      model: 'tiny-llm',
      prompt: `${asked('abcdef')}abc`,
      temperature: 0,
    });
    expect(rest.choices[0]?.text).toBe('def');
  });

  it('stops at 16 tokens unless max_tokens says otherwise, and at a stop string; echo puts the prompt first', async () => {
    const long = asked('a sentence well over sixteen bytes long');
    const cut = await client.completions.create({ model: 'tiny-llm', prompt: long, temperature: 0 });
    expect(cut.choices[0]).toMatchObject({ text: 'a sentence well ', finish_reason: 'length' });
    const more = await client.completions.create({ model: 'tiny-llm', prompt: long, temperature: 0, max_tokens: 100 });
    expect(more.choices[0]?.text).toBe('a sentence well over sixteen bytes long');
    const stopped = await client.completions.create({
      model: 'tiny-llm',
      prompt: long,
      temperature: 0,
      stop: [' well'],
    });
    expect(stopped.choices[0]).toMatchObject({ text: 'a sentence', finish_reason: 'stop' });
    const echoed = await client.completions.create({
      model: 'tiny-llm',
      prompt: [asked('hi')],
      temperature: 0,
      echo: true,
    });
    expect(echoed.choices[0]?.text).toBe(`${asked('hi')}hi`);
  });

  it('streams text_completion chunks ending in [DONE], with usage when asked', async () => {
    const stream = await client.completions.create({
      model: 'tiny-llm',
      prompt: asked('streamed 流式'),
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed 流式');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: Buffer.byteLength('streamed 流式') + 1 });
  });

  it('refuses what it cannot do with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ prompt: '' }, 'prompt'],
      [{ prompt: ['one', 'two'] }, 'prompt'],
      [{ prompt: [1, 2, 3] }, 'prompt'],
      [{ prompt: 'x', n: 2 }, 'n'],
      [{ prompt: 'x', logprobs: 5 }, 'logprobs'],
      [{ prompt: 'x', suffix: 'end' }, 'suffix'],
      [{ prompt: 'x', max_tokens: 100_000 }, 'max_tokens'],
      [{ prompt: 'x', temperature: 3 }, 'temperature'],
    ];
    for (const [fields, param] of cases) {
      const response = await fetch(`${test.baseURL}/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-llm', ...fields }),
      });
      expect(response.status, JSON.stringify(fields)).toBe(400);
      const { error } = (await response.json()) as { error: { param: string; type: string } };
      expect(error.param, JSON.stringify(fields)).toMatch(new RegExp(`^${param}`));
      expect(error.type).toBe('invalid_request_error');
    }
    const vision = await fetch(`${test.baseURL}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-llava', prompt: 'x' }),
    });
    expect(vision.status).toBe(400);
    expect(((await vision.json()) as { error: { code: string } }).error.code).toBe('completion_unsupported');
    await expect(client.completions.create({ model: 'no-such-model', prompt: 'x' })).rejects.toMatchObject({
      status: 404,
    });
  });
});
