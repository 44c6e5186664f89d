import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateObject, generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeProvider, type SlowModelProbe } from '../test-support/fake-models.ts';
import { type ImageHost, startImageHost } from '../test-support/image-host.ts';
import { dataUrl, solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';

describe('POST /v1/chat/completions', () => {
  let test: TestServer;
  let client: OpenAI;
  let host: ImageHost;
  let probe: SlowModelProbe;
  let red: Buffer;

  beforeAll(async () => {
    const fake = fakeProvider();
    probe = fake.probe;
    test = await startTestServer({
      providers: [fake.provider],
      extraModels: { slow: 'fake:slow', seeds: 'fake:seeds', variables: 'fake:variables' },
      limits: { remoteImageTimeoutMs: 500, remoteImageBytes: 1024 * 1024 },
    });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
    red = await solidImage({ r: 230, g: 10, b: 10 });
    host = await startImageHost({ 'red.png': red, 'green.png': await solidImage({ r: 0, g: 200, b: 0 }) });
  });
  afterAll(async () => {
    await host?.close();
    await test?.close();
  });

  it('answers the official SDK: echoed text, finish reason, usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [
        { role: 'system', content: 'You repeat.' },
        { role: 'user', content: '你好, server' },
      ],
      temperature: 0,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('tiny-llm');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: '你好, server' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
  });

  it('answers one JSON object with response_format json_object (official SDK and the AI SDK)', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'Sure! Here you go: {"ok": true}' }],
      response_format: { type: 'json_object' },
      temperature: 0,
    });
    // The echo model would repeat the chat; JSON mode makes its answer an object.
    const content = completion.choices[0]?.message.content ?? '';
    expect(JSON.parse(content)).toBeTypeOf('object');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL });
    const { object } = await generateObject({
      model: mmkit('tiny-llm'),
      schema: z.object({ name: z.string(), age: z.number() }),
      prompt: '{"name": "Ada", "age": 36}',
      temperature: 0,
    });
    expect(object).toEqual({ name: 'Ada', age: 36 });
  });

  it('holds answers to a JSON schema (structured outputs: the official SDK parse, the AI SDK, streamed)', async () => {
    const weather = z.object({
      city: z.string().min(1).max(20),
      unit: z.enum(['celsius', 'fahrenheit']),
      days: z.int(),
    });
    // The echo model would repeat a chat; the schema turns it into a matching object.
    const parsed = await client.chat.completions.parse({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'Weather in Oslo, please, in kelvin.' }],
      response_format: zodResponseFormat(weather, 'weather'),
      temperature: 0,
    });
    expect(parsed.choices[0]?.finish_reason).toBe('stop');
    expect(weather.safeParse(parsed.choices[0]?.message.parsed).success).toBe(true);
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL, supportsStructuredOutputs: true });
    const { object } = await generateObject({
      model: mmkit('tiny-llm'),
      schema: weather,
      prompt: 'just chat, no JSON here',
      temperature: 0.7,
      seed: 3,
    });
    expect(weather.safeParse(object).success).toBe(true);
    const streamed = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: '{"city": "Oslo", "unit": "celsius", "days": 3}' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: z.toJSONSchema(weather) } },
      temperature: 0,
      stream: true,
    });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? '';
    expect(JSON.parse(text)).toEqual({ city: 'Oslo', unit: 'celsius', days: 3 });
  });

  it('refuses by name what would change the answer but is not done here (never passed over in silence)', async () => {
    const ask = (extra: Record<string, unknown>) =>
      fetch(`${test.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-llm', messages: [{ role: 'user', content: 'hi' }], ...extra }),
      });
    for (const [field, value] of [
      ['functions', [{ name: 'f', parameters: { type: 'object' } }]],
      ['function_call', 'auto'],
      ['audio', { voice: 'alloy', format: 'wav' }],
      ['modalities', ['text', 'audio']],
      ['web_search_options', {}],
    ] as const) {
      const response = await ask({ [field]: value });
      expect(response.status, field).toBe(400);
      const { error } = (await response.json()) as { error: unknown };
      expect(error).toMatchObject({ param: field, code: 'unsupported_parameter' });
    }
    // Text alone, and hints that change nothing, are fine.
    expect((await ask({ modalities: ['text'], prediction: { type: 'content', content: 'hi' } })).status).toBe(200);
  });

  it('refuses schemas it cannot hold the answer to, and a badly formed response_format', async () => {
    const ask = (response_format: unknown) =>
      fetch(`${test.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tiny-llm', messages: [{ role: 'user', content: 'hi' }], response_format }),
      });
    const unsupported = await ask({
      type: 'json_schema',
      json_schema: { name: 'x', schema: { type: 'object', not: { required: ['a'] } } },
    });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toEqual({
      error: {
        message:
          "response_format: unsupported JSON schema at #: the keyword 'not' is not supported in constrained decoding",
        type: 'invalid_request_error',
        param: 'response_format',
        code: 'unsupported_json_schema',
      },
    });
    for (const format of [
      { type: 'xml' },
      { type: 'json_schema' },
      { type: 'json_schema', json_schema: { name: 'a b' } },
    ]) {
      const refused = await ask(format);
      expect(refused.status, JSON.stringify(format)).toBe(400);
      const { error } = (await refused.json()) as { error: { param: string } };
      expect(error.param, JSON.stringify(format)).toMatch(/^response_format/);
    }
  });

  it("gives a reasoning model's thinking as reasoning_content, whole and streamed (the AI SDK reads it)", async () => {
    const thinking = '<think>\nweigh it up</think>\n\nForty-two.';
    const whole = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: thinking }],
      temperature: 0,
    });
    expect(whole.choices[0]?.message).toMatchObject({ content: 'Forty-two.', reasoning_content: '\nweigh it up' });
    // The echo model writes a byte a token: '<think>\nweigh it up</think>' are the thinking's 27.
    expect(whole.usage).toMatchObject({
      completion_tokens: Buffer.byteLength(thinking) + 1,
      completion_tokens_details: { reasoning_tokens: 27 },
    });
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: thinking }],
      temperature: 0,
      stream: true,
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect({ reasoning, content }).toEqual({ reasoning: '\nweigh it up', content: 'Forty-two.' });
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL });
    const viaAiSdk = await generateText({ model: mmkit('tiny-llm'), prompt: thinking, temperature: 0 });
    expect(viaAiSdk.text).toBe('Forty-two.');
    expect(viaAiSdk.reasoningText).toBe('\nweigh it up');
    expect(viaAiSdk.usage.outputTokenDetails.reasoningTokens).toBe(27);
  });

  it('applies frequency_penalty and presence_penalty, and refuses them out of range', async () => {
    const prompt = 'b'.repeat(16);
    const ask = (penalty: Record<string, number>) =>
      client.chat.completions.create({
        model: 'tiny-llm',
        messages: [{ role: 'user', content: prompt }],
        temperature: 0,
        ...penalty,
      });
    expect((await ask({})).choices[0]?.message.content).toBe(prompt);
    // The echo model's margin is 20: 2 per repeat overtakes it at the tenth 'b'.
    const penalised = (await ask({ frequency_penalty: 2 })).choices[0]?.message.content ?? '';
    expect(penalised.slice(0, 10)).toBe('b'.repeat(10));
    expect(penalised.slice(10, 11)).not.toBe('b');
    expect((await ask({ presence_penalty: 2 })).choices[0]?.message.content).toBe(prompt);
    await expect(ask({ frequency_penalty: 2.5 })).rejects.toMatchObject({ status: 400, param: 'frequency_penalty' });
    await expect(ask({ presence_penalty: -3 })).rejects.toMatchObject({ status: 400, param: 'presence_penalty' });
  });

  it('gives reasoning_effort to the chat template (as vLLM does for gpt-oss); chat_template_kwargs win', async () => {
    const ask = async (fields: Record<string, unknown>) =>
      JSON.parse(
        (
          await client.chat.completions.create({
            model: 'variables',
            messages: [{ role: 'user', content: 'hi' }],
            ...fields,
          })
        ).choices[0]?.message.content ?? '',
      );
    expect(await ask({ reasoning_effort: 'low' })).toEqual({ reasoning_effort: 'low' });
    expect(await ask({ reasoning_effort: 'low', chat_template_kwargs: { reasoning_effort: 'high', x: 1 } })).toEqual({
      reasoning_effort: 'high',
      x: 1,
    });
    expect(await ask({})).toEqual({});
    await expect(ask({ reasoning_effort: 'extreme' })).rejects.toMatchObject({
      status: 400,
      param: 'reasoning_effort',
    });
  });

  it('applies logit_bias by token id, and refuses ids the model does not have', async () => {
    const ask = (logitBias: Record<string, number>) =>
      client.chat.completions.create({
        model: 'tiny-llm',
        messages: [{ role: 'user', content: 'abc' }],
        temperature: 0,
        max_tokens: 3,
        logit_bias: logitBias,
      });
    // A byte a token: 122 is 'z', which 100 forces; 98 is 'b', which −100 bans.
    expect((await ask({ '122': 100 })).choices[0]?.message.content).toBe('zzz');
    expect((await ask({ '98': -100 })).choices[0]?.message.content).not.toContain('b');
    await expect(ask({ '99999': 1 })).rejects.toMatchObject({
      status: 400,
      param: 'logit_bias',
      code: 'token_out_of_range',
    });
    await expect(ask({ z: 1 })).rejects.toMatchObject({
      status: 400,
      param: 'logit_bias.z',
      message: expect.stringContaining('must be a token id'),
    });
    await expect(ask({ '122': 101 })).rejects.toMatchObject({ status: 400, param: 'logit_bias.122' });
  });

  it('reports log probabilities with top_logprobs, whole and streamed', async () => {
    const completion = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'ok' }],
      temperature: 0,
      logprobs: true,
      top_logprobs: 3,
    });
    const content = completion.choices[0]?.logprobs?.content ?? [];
    expect(content.map((entry) => entry.token)).toEqual(['o', 'k']);
    expect(content.map((entry) => entry.bytes)).toEqual([[111], [107]]);
    for (const entry of content) {
      expect(entry.logprob).toBeCloseTo(0, 4);
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs[0]?.token).toBe(entry.token);
    }
    const plain = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'ok' }],
    });
    expect(plain.choices[0]?.logprobs).toBeNull();
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'ok' }],
      temperature: 0,
      logprobs: true,
      stream: true,
    });
    const tokens: string[] = [];
    for await (const chunk of stream)
      for (const entry of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(entry.token);
    expect(tokens).toEqual(['o', 'k']);
    await expect(
      client.chat.completions.create({
        model: 'tiny-llm',
        messages: [{ role: 'user', content: 'ok' }],
        top_logprobs: 2,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'top_logprobs' });
    await expect(
      client.chat.completions.create({
        model: 'tiny-llm',
        messages: [{ role: 'user', content: 'ok' }],
        logprobs: true,
        top_logprobs: 21,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'top_logprobs' });
  });

  it('answers n choices, each from its own seed, whole and streamed', async () => {
    const whole = await client.chat.completions.create({
      model: 'seeds',
      messages: [{ role: 'user', content: 'hi' }],
      n: 3,
      seed: 40,
    });
    expect(whole.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
      [0, 'seed 40'],
      [1, 'seed 41'],
      [2, 'seed 42'],
    ]);
    // The prompt is read once; the answers' tokens add up.
    expect(whole.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 3 });
    const echo = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'twice' }],
      n: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const finishes: string[] = [];
    let usage: unknown;
    for await (const chunk of echo) {
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finishes.push(`${choice.index}:${choice.finish_reason}`);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toEqual(['twice', 'twice']);
    expect(finishes).toEqual(['0:stop', '1:stop']);
    expect(usage).toMatchObject({ completion_tokens: 12 });
    await expect(
      client.chat.completions.create({ model: 'tiny-llm', messages: [{ role: 'user', content: 'x' }], n: 9 }),
    ).rejects.toMatchObject({ status: 400, param: 'n' });
  });

  it('stops at max_tokens with finish_reason length, and at a stop sequence', async () => {
    const short = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'a long sentence to cut' }],
      max_tokens: 4,
      temperature: 0,
    });
    expect(short.choices[0]?.message.content).toBe('a lo');
    expect(short.choices[0]?.finish_reason).toBe('length');
    const stopped = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'one, two, three' }],
      stop: [', t'],
      temperature: 0,
    });
    expect(stopped.choices[0]?.message.content).toBe('one');
  });

  it('streams OpenAI chunks ending in [DONE], with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'stream me' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
    });
    let text = '';
    const finishReasons: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]) finishReasons.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('stream me');
    expect(finishReasons.at(-1)).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const raw = await fetch(`${test.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny-llm', stream: true, messages: [{ role: 'user', content: 'ok' }] }),
    });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await raw.text()).trim().split('\n\n');
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
  });

  it('reads image parts as data URLs and http URLs (the tiny VLM names the colour)', async () => {
    const ask = (url: string) =>
      client.chat.completions.create({
        model: 'tiny-llava',
        temperature: 0,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What colour is this?' },
              { type: 'image_url', image_url: { url } },
            ],
          },
        ],
      });
    expect((await ask(dataUrl(red))).choices[0]?.message.content).toBe('red');
    expect((await ask(`${host.url}/green.png`)).choices[0]?.message.content).toBe('green');
    expect(host.requests).toContain('/green.png');
  });

  it('refuses images for a text-only model, and remote images too big, too slow or missing', async () => {
    const withImage = (model: string, url: string) =>
      client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
      });
    await expect(withImage('tiny-llm', dataUrl(red))).rejects.toMatchObject({
      status: 400,
      code: 'images_not_supported',
    });
    await expect(withImage('tiny-llava', `${host.url}/big`)).rejects.toMatchObject({
      status: 400,
      code: 'image_too_large',
    });
    await expect(withImage('tiny-llava', `${host.url}/stall`)).rejects.toMatchObject({
      status: 400,
      code: 'image_url_timeout',
    });
    await expect(withImage('tiny-llava', `${host.url}/missing`)).rejects.toMatchObject({
      status: 400,
      code: 'image_url_unreachable',
    });
  });

  it('works with the AI SDK (generateText, streamText with usage, an image part)', async () => {
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL, includeUsage: true });
    const whole = await generateText({ model: mmkit('tiny-llm'), prompt: 'from the ai sdk', temperature: 0 });
    expect(whole.text).toBe('from the ai sdk');
    expect(whole.finishReason).toBe('stop');
    const streamed = streamText({ model: mmkit('tiny-llm'), prompt: 'streamed via ai', temperature: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe('streamed via ai');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
    const seen = await generateText({
      model: mmkit('tiny-llava'),
      temperature: 0,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'colour?' },
            { type: 'image', image: new Uint8Array(red), mediaType: 'image/png' },
          ],
        },
      ],
    });
    expect(seen.text).toBe('red');
  });

  it('aborts generation when the client disconnects mid-stream, and frees the model', async () => {
    const controller = new AbortController();
    const abortedBefore = probe.aborted;
    const stream = await client.chat.completions.create(
      { model: 'slow', messages: [{ role: 'user', content: 'go' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _chunk of stream) {
        chunks += 1;
        if (chunks === 3) controller.abort();
      }
    } catch {
      // The SDK may end the loop quietly or throw an abort error: either way the client is gone.
    }
    expect(chunks).toBe(3);
    for (let attempt = 0; attempt < 100 && probe.aborted === abortedBefore; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(probe.aborted).toBe(abortedBefore + 1);
    const slow = (await test.server.models.status()).find((row) => row.key === 'chat:fake:slow');
    expect(slow).toMatchObject({ running: 0, queueLength: 0 });
  });
});
