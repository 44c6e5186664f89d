import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../../testkit/openai-server.ts';
import { splitForWrites } from '../../../../testkit/openai-server-answers.ts';
import type { ChatRequest } from '../../spec/index.ts';
import { createOpenAiProvider } from './provider.ts';

let server: OpenAiTestServer;
beforeAll(async () => {
  server = await startOpenAiTestServer({ apiKey: 'sk-test', models: ['llava', 'llava-lora'] });
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const sampling = { maxNewTokens: 200, temperature: 0.3, topP: 0.9 };

function chatModel(options: Parameters<ReturnType<typeof createOpenAiProvider>['chatModel']>[1] = {}) {
  return createOpenAiProvider({ baseURL: server.baseURL, apiKey: 'sk-test' }).chatModel('llava', options);
}

async function collect<Part>(stream: AsyncIterable<Part>): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('OpenAiChatModel.generate', () => {
  it('sends the messages and sampling settings and returns the answer with usage', async () => {
    const model = chatModel();
    const result = await model.generate({
      ...sampling,
      seed: 42,
      stop: ['###'],
      logitBias: { 17: -100 },
      responseFormat: { type: 'json' },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: '图片里是什么颜色？' }] },
      ],
    });
    expect(result.text).toBe('图片里是什么颜色？');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ promptTokens: 9 + 9, completionTokens: 9 });
    expect(result.timings.totalMs).toBeGreaterThan(0);
    const sent = server.requests[0];
    expect(sent.path).toBe('/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.json).toEqual({
      model: 'llava',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: '图片里是什么颜色？' },
      ],
      max_tokens: 200,
      temperature: 0.3,
      top_p: 0.9,
      seed: 42,
      logit_bias: { 17: -100 },
      stop: ['###'],
      response_format: { type: 'json_object' },
    });
    expect(model.description).toEqual({ id: `openai:llava@${server.baseURL}`, provider: 'openai' });
  });

  it('sends images as data: URL parts with the sniffed media type and the bytes intact', async () => {
    const png = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0000ff' } })
      .jpeg()
      .toBuffer();
    const result = await chatModel().generate({
      ...sampling,
      messages: [
        {
          role: 'user',
          content: [
            // The declared type is wrong on purpose: the bytes decide.
            { type: 'image', data: new Uint8Array(png), mediaType: 'image/jpeg' },
            { type: 'image', data: new Uint8Array(jpeg) },
            { type: 'text', text: 'Which colours?' },
          ],
        },
      ],
    });
    expect(result.text).toBe('Which colours?');
    const content = server.requests[0].json?.messages[0].content;
    expect(content.map((part: { type: string }) => part.type)).toEqual(['image_url', 'image_url', 'text']);
    const [pngUrl, jpegUrl] = [content[0].image_url.url, content[1].image_url.url];
    expect(pngUrl.startsWith('data:image/png;base64,')).toBe(true);
    expect(jpegUrl.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(Buffer.from(pngUrl.split(',')[1], 'base64').equals(png)).toBe(true);
    expect(Buffer.from(jpegUrl.split(',')[1], 'base64').equals(jpeg)).toBe(true);
  });

  it("reads a reasoning engine's reasoning_content apart from the answer, and passes template variables on", async () => {
    const model = chatModel();
    const thinking = '<think>first think</think>\nThen answer.';
    const whole = await model.generate({
      ...sampling,
      messages: [{ role: 'user', content: thinking }],
      templateVariables: { enable_thinking: true },
    });
    expect(whole).toMatchObject({ text: 'Then answer.', reasoning: 'first think' });
    // The engine's thinking count is read ('first think' is 11 of its one-character tokens).
    expect(whole.usage).toEqual({ promptTokens: 39, completionTokens: 12 + 11, reasoningTokens: 11 });
    expect(server.requests.at(-1)!.json).toMatchObject({ chat_template_kwargs: { enable_thinking: true } });
    const parts = await collect(model.stream({ ...sampling, messages: [{ role: 'user', content: thinking }] }));
    const reasoning = parts.filter((part) => part.type === 'reasoning-delta').map((part) => part.text);
    expect(reasoning.join('')).toBe('first think');
    expect(reasoning.length).toBeGreaterThan(1);
    expect(
      parts
        .filter((part) => part.type === 'text-delta')
        .map((part) => part.text)
        .join(''),
    ).toBe('Then answer.');
  });

  it('maps a max_tokens cut to finishReason length', async () => {
    const result = await chatModel().generate({
      ...sampling,
      maxNewTokens: 5,
      messages: [{ role: 'user', content: 'hello world' }],
    });
    expect(result).toMatchObject({ text: 'hello', finishReason: 'length', usage: { completionTokens: 5 } });
  });

  it('sends engine-specific sampling fields and the LoRA adapter only when configured', async () => {
    const request: ChatRequest = {
      ...sampling,
      topK: 20,
      repetitionPenalty: 1.1,
      adapter: 'llava-lora',
      messages: [{ role: 'user', content: 'hi' }],
    };
    await chatModel().generate(request);
    await chatModel({
      extraSamplingFields: ['top_k', 'repetition_penalty'],
      maxTokensField: 'max_completion_tokens',
    }).generate(request);
    const [plain, extended] = server.requests.map((sent) => sent.json);
    expect(plain).not.toHaveProperty('top_k');
    expect(plain).not.toHaveProperty('repetition_penalty');
    expect(plain?.model).toBe('llava-lora');
    expect(extended).toMatchObject({ top_k: 20, repetition_penalty: 1.1, max_completion_tokens: 200 });
    expect(extended).not.toHaveProperty('max_tokens');
  });

  it('refuses images for a model configured without them, before any request', async () => {
    const model = chatModel({ acceptsImages: false, contextLength: 8192 });
    expect(model.acceptsImages).toBe(false);
    expect(model.contextLength).toBe(8192);
    const image = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(
      model.generate({ ...sampling, messages: [{ role: 'user', content: [{ type: 'image', data: image }] }] }),
    ).rejects.toThrow("messages[0]: model 'llava' does not accept images (acceptsImages is false)");
    await expect(
      chatModel().generate({
        ...sampling,
        messages: [{ role: 'user', content: [{ type: 'image', data: new Uint8Array([1, 2, 3]) }] }],
      }),
    ).rejects.toThrow('messages[0].content[0]: not a JPEG, PNG, GIF, WebP or BMP image');
    expect(server.requests).toHaveLength(0);
  });
});

describe('OpenAiChatModel.stream', () => {
  it('the test server cuts its writes inside multi-byte characters', () => {
    const pieces = splitForWrites('data: {"content":"界"}\n\n');
    expect(pieces).toHaveLength(2);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(pieces[0])).toThrow();
  });

  it('streams a Chinese answer split across writes, with usage and first-token timing', async () => {
    const text = '你好，世界！mmkit 在流式输出中文。';
    const parts = await collect(chatModel().stream({ ...sampling, messages: [{ role: 'user', content: text }] }));
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBe(Array.from(text).length);
    expect(deltas.map((part) => part.text).join('')).toBe(text);
    const finish = parts.at(-1);
    expect(finish?.type).toBe('finish');
    if (finish?.type !== 'finish') return;
    expect(finish.finishReason).toBe('stop');
    expect(finish.usage).toEqual({ promptTokens: Array.from(text).length, completionTokens: Array.from(text).length });
    expect(finish.timings.firstOutputMs).toBeGreaterThan(0);
    expect(finish.timings.totalMs).toBeGreaterThanOrEqual(finish.timings.firstOutputMs ?? 0);
    expect(server.requests[0].json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('counts deltas as tokens when the server sends no usage, and maps length', async () => {
    const parts = await collect(
      chatModel({ streamUsage: false }).stream({
        ...sampling,
        maxNewTokens: 3,
        messages: [{ role: 'user', content: 'abcdef' }],
      }),
    );
    expect(server.requests[0].json).not.toHaveProperty('stream_options');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length', usage: { completionTokens: 3 } });
  });

  it('stops the request when the consumer breaks out early', async () => {
    let received = '';
    for await (const part of chatModel().stream({ ...sampling, messages: [{ role: 'user', content: 'abcdefgh' }] })) {
      if (part.type === 'text-delta') received += part.text;
      if (received.length >= 2) break;
    }
    expect(received).toBe('ab');
  });

  it('cancels through the AbortSignal with an AbortError', async () => {
    const controller = new AbortController();
    const stream = chatModel().stream({
      ...sampling,
      signal: controller.signal,
      messages: [{ role: 'user', content: 'a long answer that will be cut' }],
    });
    const seen: string[] = [];
    const consume = async () => {
      for await (const part of stream) {
        if (part.type === 'text-delta') seen.push(part.text);
        if (seen.length === 2) controller.abort();
      }
    };
    await expect(consume()).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['a', ' ']);
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      chatModel().generate({ ...sampling, signal: aborted.signal, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('OpenAiChatModel with a JSON schema', () => {
  it('passes the schema on as structured outputs', async () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
    await chatModel().generate({
      ...sampling,
      responseFormat: { type: 'json', name: 'numbers', schema },
      messages: [{ role: 'user', content: '{"a": 1}' }],
    });
    expect(server.requests.at(-1)?.json?.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'numbers', schema, strict: true },
    });
  });
});

describe('OpenAiChatModel with tools', () => {
  const tools = [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
  const request = (content: string) => ({ ...sampling, tools, messages: [{ role: 'user' as const, content }] });

  it('offers the tools, and returns the calls the engine makes, whole or streamed in pieces', async () => {
    const model = chatModel();
    const call = '{"name": "get_weather", "arguments": {"city": "Paris"}}';
    const whole = await model.generate(request(call));
    expect(whole).toMatchObject({
      text: '',
      finishReason: 'tool-calls',
      toolCalls: [{ id: 'call_test', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    expect(server.requests.at(-1)?.json?.tools).toEqual([{ type: 'function', function: tools[0] }]);
    expect(server.requests.at(-1)?.json?.tool_choice).toBeUndefined();
    await model.generate({ ...request(call), toolChoice: { name: 'get_weather' } });
    expect(server.requests.at(-1)?.json?.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    await model.generate({ ...request(call), toolChoice: 'required' });
    expect(server.requests.at(-1)?.json?.tool_choice).toBe('required');
    const parts = await collect(model.stream(request(call)));
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'tool-calls',
      toolCalls: [{ id: 'call_test', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    // The engine's pieces pass on as they come: the call named, then its arguments in two halves.
    expect(parts.filter((part) => part.type.startsWith('tool-call'))).toEqual([
      { type: 'tool-call-start', index: 0, id: 'call_test', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
    ]);
  });

  it("sends the conversation's calls and tool results the OpenAI way", async () => {
    await chatModel().generate({
      ...sampling,
      tools,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
        },
        { role: 'tool', content: '{"temperature": 25}', toolCallId: 'call_1' },
      ],
    });
    expect(server.requests.at(-1)?.json?.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', content: '{"temperature": 25}', tool_call_id: 'call_1' },
    ]);
  });
});

describe('OpenAiChatModel.complete', () => {
  it("continues raw text through the engine's /completions, streamed, with its usage and stop strings", async () => {
    const model = chatModel();
    const parts = await collect(model.complete!({ ...sampling, prompt: 'abc', seed: 1, stop: ['###'] }));
    expect(parts.filter((part) => part.type === 'text-delta').map((part) => part.text)).toEqual(['A', 'B', 'C']);
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 3 },
    });
    const sent = server.requests.at(-1)!;
    expect(sent.path).toBe('/completions');
    expect(sent.json).toMatchObject({
      model: 'llava',
      prompt: 'abc',
      max_tokens: 200,
      temperature: 0.3,
      top_p: 0.9,
      seed: 1,
      stop: ['###'],
      stream: true,
    });
    const cut = await collect(model.complete!({ ...sampling, maxNewTokens: 2, prompt: 'abc' }));
    expect(cut.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
    // A text prompt is echoed here, before the engine's answer; token ids go to the engine as they are.
    const echoed = await collect(model.complete!({ ...sampling, prompt: 'abc', echo: true }));
    expect(echoed[0]).toEqual({ type: 'prompt', text: 'abc' });
    expect(server.requests.at(-1)!.json).not.toHaveProperty('echo');
    await collect(model.complete!({ ...sampling, prompt: [5, 6, 7] }));
    expect(server.requests.at(-1)!.json).toMatchObject({ prompt: [5, 6, 7] });
    for (const refused of [{ logprobs: 1 }, { echo: true, prompt: [5] }, { echo: true, maxNewTokens: 0 }]) {
      await expect(collect(model.complete!({ ...sampling, prompt: 'abc', ...refused }))).rejects.toMatchObject({
        status: 400,
        code: 'completion_option_unsupported',
      });
    }
  });
});

describe('OpenAiChatModel with logprobs', () => {
  it('asks the engine for them and hands them on, whole and streamed', async () => {
    const model = chatModel();
    const request = { ...sampling, logprobs: 1, messages: [{ role: 'user' as const, content: '好的' }] };
    const whole = await model.generate(request);
    expect(server.requests.at(-1)?.json).toMatchObject({ logprobs: true, top_logprobs: 1 });
    const expected = ['好', '的'].map((token) => {
      const entry = { token, logprob: -0.25, bytes: [...Buffer.from(token, 'utf8')] };
      return { ...entry, top: [entry] };
    });
    expect(whole.logprobs).toEqual(expected);
    const parts = await collect(model.stream(request));
    const streamed = parts.flatMap((part) => (part.type === 'text-delta' ? (part.logprobs ?? []) : []));
    expect(streamed).toEqual(expected);
    await model.generate({ ...request, logprobs: 0 });
    expect(server.requests.at(-1)?.json?.logprobs).toBe(true);
    expect(server.requests.at(-1)?.json?.top_logprobs).toBeUndefined();
  });
});
