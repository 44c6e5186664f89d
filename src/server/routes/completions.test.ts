import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
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
    // logit_bias by token id (a byte a token: 122 is 'z').
    const biased = await client.completions.create({
      model: 'tiny-llm',
      prompt: asked('abc'),
      temperature: 0,
      max_tokens: 2,
      logit_bias: { '122': 100 },
    });
    expect(biased.choices[0]?.text).toBe('zz');
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

  it('answers several prompts, as text or token ids, one choice each, whole and streamed', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(join(test.root, 'models', 'llm'));
    const ids = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    const whole = await client.completions.create({
      model: 'tiny-llm',
      prompt: [asked('one'), asked('two'), asked('three')],
      temperature: 0,
    });
    expect(whole.choices.map((choice) => [choice.index, choice.text])).toEqual([
      [0, 'one'],
      [1, 'two'],
      [2, 'three'],
    ]);
    // Each prompt is 6 tokens besides its text, and each answer its text and <|end|>.
    expect(whole.usage).toMatchObject({ prompt_tokens: 3 * 6 + 11, completion_tokens: 11 + 3 });
    // Token ids (what evaluation harnesses send, from the model's own tokenizer) mean the same.
    const byIds = await client.completions.create({ model: 'tiny-llm', prompt: ids(asked('four')), temperature: 0 });
    expect(byIds.choices[0]?.text).toBe('four');
    const stream = await client.completions.create({
      model: 'tiny-llm',
      prompt: [ids(asked('ab')), ids(asked('cd'))],
      temperature: 0,
      echo: true,
      stream: true,
    });
    const texts = ['', ''];
    for await (const chunk of stream) for (const choice of chunk.choices) texts[choice.index] += choice.text;
    expect(texts).toEqual([`${asked('ab')}ab`, `${asked('cd')}cd`]);
  });

  it('scores the prompt with echo and logprobs (lm-evaluation-harness style), agreeing with generation', async () => {
    const prompt = asked('abc');
    // What a harness sends to score a continuation: the context and continuation, nothing generated.
    const scored = await client.completions.create({
      model: 'tiny-llm',
      prompt: `${prompt}abc`,
      max_tokens: 0,
      echo: true,
      logprobs: 2,
      temperature: 0,
    });
    const choice = scored.choices[0]!;
    expect(choice.text).toBe(`${prompt}abc`);
    const logprobs = choice.logprobs as Required<NonNullable<typeof choice.logprobs>>;
    expect(logprobs.tokens.join('')).toBe(`${prompt}abc`);
    expect(logprobs.token_logprobs[0]).toBeNull();
    expect(logprobs.top_logprobs![0]).toBeNull();
    expect(logprobs.text_offset).toEqual(
      logprobs.tokens.map((_, index) => logprobs.tokens.slice(0, index).join('').length),
    );
    // The continuation's tokens are what the echo model predicts: each the likeliest, scored as when generated.
    const generated = await client.completions.create({
      model: 'tiny-llm',
      prompt,
      max_tokens: 3,
      logprobs: 2,
      temperature: 0,
    });
    expect(generated.choices[0]?.text).toBe('abc');
    const continuation = logprobs.token_logprobs.slice(-3) as number[];
    const whileGenerating = generated.choices[0]!.logprobs!.token_logprobs as number[];
    for (const [index, value] of continuation.entries()) expect(value).toBeCloseTo(whileGenerating[index]!, 4);
    for (const [index, top] of logprobs.top_logprobs!.slice(-3).entries()) {
      const best = Math.max(...Object.values(top!));
      expect(best).toBe(continuation[index]);
    }
    // A token the model did not expect scores far lower.
    const surprising = await client.completions.create({
      model: 'tiny-llm',
      prompt: `${prompt}abX`,
      max_tokens: 0,
      echo: true,
      logprobs: 0,
    });
    expect(surprising.choices[0]!.logprobs!.token_logprobs!.at(-1)).toBeLessThan(-10);
    // Streamed, the echo comes first with its scores.
    const stream = await client.completions.create({
      model: 'tiny-llm',
      prompt,
      max_tokens: 1,
      echo: true,
      logprobs: 1,
      temperature: 0,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk.choices[0]!);
    expect(chunks[0]?.text).toBe(prompt);
    expect(chunks[0]!.logprobs!.token_logprobs![0]).toBeNull();
    expect(chunks[0]!.logprobs!.tokens!.join('')).toBe(prompt);
    expect(chunks[1]).toMatchObject({ text: 'a', logprobs: { tokens: ['a'], text_offset: [prompt.length] } });
  });

  it('refuses what it cannot do with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ prompt: '' }, 'prompt'],
      [{ prompt: [] }, 'prompt'],
      [{ prompt: [-1, 2] }, 'prompt'],
      [{ prompt: [99_999_999] }, 'prompt'],
      [{ prompt: ['one', [1, 2]] }, 'prompt'],
      [{ prompt: Array.from({ length: 65 }, () => 'x') }, 'prompt'],
      [{ prompt: 'x', n: 2 }, 'n'],
      [{ prompt: 'x', logprobs: 21 }, 'logprobs'],
      [{ prompt: 'x', max_tokens: 0 }, 'max_tokens'],
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
