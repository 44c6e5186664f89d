import { createOpenAI } from '@ai-sdk/openai';
import { generateText, type ModelMessage, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fakeProvider, type SlowModelProbe } from '../test-support/fake-models.ts';
import { eventsOf, readEvents } from '../test-support/sse-events.ts';
import { dataUrl, solidImage, startTestServer, type TestServer } from '../test-support/test-server.ts';

/** What the echo model answers with a Hermes-style call in the prompt: a call of `get_weather`. */
const CALL = 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('the Responses API (/v1/responses)', () => {
  let test: TestServer;
  let client: OpenAI;
  let probe: SlowModelProbe;

  beforeAll(async () => {
    const fake = fakeProvider();
    probe = fake.probe;
    test = await startTestServer({
      providers: [fake.provider],
      extraModels: { slow: 'fake:slow', transcript: 'fake:transcript', variables: 'fake:variables' },
    });
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  const post = (body: unknown) =>
    fetch(`${test.baseURL}/responses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers the official SDK: the echoed text as one message item, usage, the settings echoed', async () => {
    const response = await client.responses.create({
      model: 'tiny-llm',
      input: '你好, responses',
      temperature: 0,
      metadata: { case: 'first' },
    });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'tiny-llm',
      store: true,
      temperature: 0,
      metadata: { case: 'first' },
      incomplete_details: null,
      error: null,
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(response.output_text).toBe('你好, responses');
    expect(response.output).toHaveLength(1);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(response.output[0]!.id).toMatch(/^msg_/);
    expect(response.usage!.output_tokens).toBeGreaterThan(0);
    expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
  });

  it('streams Responses events in order, each numbered, ending in response.completed (no [DONE])', async () => {
    const stream = client.responses.stream({ model: 'tiny-llm', input: 'streamed answer', temperature: 0 });
    const types: string[] = [];
    const numbers: number[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      numbers.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('streamed answer');
    expect(deltas).toBe('streamed answer');
    expect(numbers).toEqual(numbers.map((_, index) => index));
    const lifecycle = types.filter((type) => type !== 'response.output_text.delta');
    expect(lifecycle).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    // On the wire: every event named, its type in the data too, nothing after the last.
    const raw = await post({ model: 'tiny-llm', input: 'raw', stream: true, temperature: 0 });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(raw);
    for (const event of events) expect((event.data as { type: string }).type).toBe(event.event);
    expect(events.at(-1)!.event).toBe('response.completed');
  });

  it('stops at max_output_tokens: status incomplete with the reason, whole and streamed', async () => {
    const long = 'one two three four five six seven eight nine ten eleven twelve';
    const whole = await client.responses.create({
      model: 'tiny-llm',
      input: long,
      max_output_tokens: 3,
      temperature: 0,
    });
    expect(whole.status).toBe('incomplete');
    expect(whole.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(whole.usage!.output_tokens).toBe(3);
    expect(long.startsWith(whole.output_text)).toBe(true);
    const streamed = await readEvents(
      await post({ model: 'tiny-llm', input: long, max_output_tokens: 3, temperature: 0, stream: true }),
    );
    const [incomplete] = eventsOf<{ response: { status: string; output_text?: string } }>(
      streamed,
      'response.incomplete',
    );
    expect(incomplete!.response.status).toBe('incomplete');
  });

  it('holds the answer to text.format json_schema (the official SDK parse, streamed)', async () => {
    const weather = z.object({ city: z.string().max(20), unit: z.enum(['celsius', 'fahrenheit']), days: z.int() });
    const parsed = await client.responses.parse({
      model: 'tiny-llm',
      input: '{"city": "Oslo", "unit": "celsius", "days": 3}',
      text: { format: zodTextFormat(weather, 'weather') },
      temperature: 0,
    });
    expect(parsed.output_parsed).toEqual({ city: 'Oslo', unit: 'celsius', days: 3 });
    // Chat, not JSON: the grammar turns the echo into an object the schema allows.
    const stream = client.responses.stream({
      model: 'tiny-llm',
      input: 'tell me about the weather',
      text: { format: zodTextFormat(weather, 'weather') },
      temperature: 0,
    });
    const final = await stream.finalResponse();
    expect(weather.parse(JSON.parse(final.output_text))).toBeTruthy();
    expect(final.text?.format).toMatchObject({ type: 'json_schema', name: 'weather' });
  });

  it('returns function calls as items and goes on from their outputs', async () => {
    const response = await client.responses.create({
      model: 'tiny-llm',
      input: CALL,
      tools: [WEATHER_TOOL],
      temperature: 0,
    });
    expect(response.output.map((item) => item.type)).toEqual(['message', 'function_call']);
    expect(response.output_text).toBe('Let me check.');
    const call = response.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });

    // Streamed: the message ends where the call begins, and the call's arguments come as written.
    const events = await readEvents(
      await post({ model: 'tiny-llm', input: CALL, tools: [WEATHER_TOOL], temperature: 0, stream: true }),
    );
    const [argumentsDone] = eventsOf<{ name: string; arguments: string }>(
      events,
      'response.function_call_arguments.done',
    );
    expect(argumentsDone).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(argumentsDone!.arguments)).toEqual({ city: 'Paris' });
    const deltas = eventsOf<{ delta: string; output_index: number }>(events, 'response.function_call_arguments.delta');
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.map((delta) => delta.delta).join('')).toBe(argumentsDone!.arguments);
    expect(deltas.every((delta) => delta.output_index === 1)).toBe(true);
    const order = events.map((event) => event.event);
    const messageDone = order.indexOf('response.output_item.done');
    expect(messageDone).toBeLessThan(order.indexOf('response.function_call_arguments.delta'));
    const stream = client.responses.stream({ model: 'tiny-llm', input: CALL, tools: [WEATHER_TOOL], temperature: 0 });
    const final = await stream.finalResponse();
    expect(final.output.map((item) => item.type)).toEqual(['message', 'function_call']);
    expect(final.output[1]).toMatchObject({ name: 'get_weather', arguments: argumentsDone!.arguments });

    // The next turn: the call and its output, as the SDKs send them, reach the model as a tool turn.
    const followUp = await client.responses.create({
      model: 'transcript',
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temperature": 21}' },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(followUp.output_text).toBe(
      [
        'system: Be brief.',
        'user: weather?',
        'assistant:  [get_weather{"city": "Paris"}]',
        `tool(${call.call_id}): {"temperature": 21}`,
      ].join('\n'),
    );
  });

  it('forces a call with tool_choice required and a named function', async () => {
    const named = await client.responses.create({
      model: 'tiny-llm',
      input: 'what is the weather in Rome?',
      tools: [WEATHER_TOOL, { ...WEATHER_TOOL, name: 'get_time' }],
      tool_choice: { type: 'function', name: 'get_time' },
      temperature: 0,
    });
    const calls = named.output.filter((item) => item.type === 'function_call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'get_time' });
    expect(JSON.parse((calls[0] as { arguments: string }).arguments)).toHaveProperty('city');
  });

  it('goes on from a stored response with previous_response_id; instructions are not carried over', async () => {
    const first = await client.responses.create({
      model: 'transcript',
      instructions: 'Old rules.',
      input: 'first question',
    });
    const second = await client.responses.create({
      model: 'transcript',
      previous_response_id: first.id,
      instructions: 'New rules.',
      input: 'second question',
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.split('\n')).toEqual([
      'system: New rules.',
      'user: first question',
      'assistant: system: Old rules.',
      'user: first question',
      'user: second question',
    ]);
    // A response not kept cannot be gone on from.
    const unstored = await client.responses.create({ model: 'transcript', input: 'private', store: false });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    await expect(
      client.responses.create({ model: 'transcript', previous_response_id: unstored.id, input: 'more' }),
    ).rejects.toMatchObject({ status: 400, code: 'previous_response_not_found', param: 'previous_response_id' });
  });

  it('reads back, lists the input items of and deletes a stored response', async () => {
    const created = await client.responses.create({
      model: 'tiny-llm',
      input: [
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: [{ type: 'input_text', text: 'keep me' }] },
      ],
      temperature: 0,
    });
    const read = await client.responses.retrieve(created.id);
    expect(read).toMatchObject({ id: created.id, status: 'completed', output: created.output });
    const items = await client.responses.inputItems.list(created.id, { order: 'asc' });
    expect(items.data.map((item) => (item as { role: string }).role)).toEqual(['developer', 'user']);
    expect(new Set(items.data.map((item) => item.id)).size).toBe(2);
    const newestFirst = (await fetch(`${test.baseURL}/responses/${created.id}/input_items?limit=1`).then((r) =>
      r.json(),
    )) as { first_id: string };
    expect(newestFirst).toMatchObject({ object: 'list', has_more: true, data: [{ role: 'user' }] });
    const next = await fetch(
      `${test.baseURL}/responses/${created.id}/input_items?limit=1&after=${newestFirst.first_id}`,
    );
    expect(await next.json()).toMatchObject({ has_more: false, data: [{ role: 'developer' }] });

    expect(await client.responses.delete(created.id)).toMatchObject({ id: created.id, deleted: true });
    await expect(client.responses.retrieve(created.id)).rejects.toMatchObject({
      status: 404,
      code: 'response_not_found',
    });
    // Ids are looked up, never used as paths.
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'resp_..', `resp_${'0'.repeat(24)}`]) {
      const response = await fetch(`${test.baseURL}/responses/${id}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'response_not_found' } });
    }
  });

  it('works with the AI SDK OpenAI provider: text, streaming, tools, and a multi-turn chat by item_reference', async () => {
    const openai = createOpenAI({ baseURL: test.baseURL, apiKey: 'unused' });
    const whole = await generateText({ model: openai('tiny-llm'), prompt: 'from the ai sdk', temperature: 0 });
    expect(whole.text).toBe('from the ai sdk');
    expect(whole.usage.outputTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: openai('tiny-llm'), prompt: 'streamed via ai', temperature: 0 });
    expect(await streamed.text).toBe('streamed via ai');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);

    const withTools = await generateText({
      model: openai('tiny-llm'),
      prompt: CALL,
      temperature: 0,
      tools: { get_weather: tool({ description: 'The weather', inputSchema: z.object({ city: z.string() }) }) },
    });
    expect(withTools.toolCalls).toMatchObject([{ toolName: 'get_weather', input: { city: 'Paris' } }]);
    expect(withTools.finishReason).toBe('tool-calls');

    // The SDK sends its earlier answer back as a reference to the stored item, not as text.
    const messages: ModelMessage[] = [{ role: 'user', content: 'remember this' }];
    const turn = await generateText({ model: openai('transcript'), messages });
    messages.push(...turn.response.messages, { role: 'user', content: 'and now?' });
    const sent: unknown[] = [];
    const recording = createOpenAI({
      baseURL: test.baseURL,
      apiKey: 'unused',
      fetch: async (url, init) => {
        sent.push(JSON.parse(String(init?.body)));
        return fetch(url, init);
      },
    });
    const next = await generateText({ model: recording('transcript'), messages });
    expect(JSON.stringify(sent[0])).toContain('"item_reference"');
    expect(next.text.split('\n')).toEqual(['user: remember this', 'assistant: user: remember this', 'user: and now?']);
  });

  it('reads input_image parts (the tiny VLM names the colour); a text-only model refuses them', async () => {
    const red = await solidImage({ r: 230, g: 10, b: 10 });
    const response = await client.responses.create({
      model: 'tiny-llava',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: dataUrl(red), detail: 'auto' },
            { type: 'input_text', text: 'What colour is this?' },
          ],
        },
      ],
      temperature: 0,
    });
    expect(response.output_text).toContain('red');
    await expect(
      client.responses.create({
        model: 'tiny-llm',
        input: [{ role: 'user', content: [{ type: 'input_image', image_url: dataUrl(red), detail: 'auto' }] }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'images_not_supported' });
  });

  it("gives a reasoning model's thinking as a reasoning item before the message, whole and streamed", async () => {
    const thinking = '<think>\nweigh it up</think>\n\nForty-two.';
    const whole = await client.responses.create({ model: 'tiny-llm', input: thinking, temperature: 0 });
    expect(whole.output_text).toBe('Forty-two.');
    expect(whole.output[0]).toMatchObject({
      type: 'reasoning',
      content: [{ type: 'reasoning_text', text: '\nweigh it up' }],
    });
    expect(whole.output[0]!.id).toMatch(/^rs_/);
    expect(whole.output[1]).toMatchObject({ type: 'message', content: [{ text: 'Forty-two.' }] });
    // The echo model writes a byte a token: '<think>\nweigh it up</think>' are the thinking's 27.
    expect(whole.usage?.output_tokens_details.reasoning_tokens).toBe(27);
    const stream = client.responses.stream({ model: 'tiny-llm', input: thinking, temperature: 0 });
    let reasoning = '';
    for await (const event of stream) if (event.type === 'response.reasoning_text.delta') reasoning += event.delta;
    const final = await stream.finalResponse();
    expect(reasoning).toBe('\nweigh it up');
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(final.output_text).toBe('Forty-two.');
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(27);
    // Going on from it, the thinking is not sent back to the model (chat templates drop it too).
    const next = await client.responses.create({ model: 'transcript', previous_response_id: whole.id, input: 'and?' });
    expect(next.output_text).toBe(
      ['user: <think>', 'weigh it up</think>', '', 'Forty-two.', 'assistant: Forty-two.', 'user: and?'].join('\n'),
    );
  });

  it('gives reasoning.effort to the chat template as reasoning_effort, and echoes it', async () => {
    const response = await client.responses.create({ model: 'variables', input: 'hi', reasoning: { effort: 'low' } });
    expect(JSON.parse(response.output_text)).toEqual({ reasoning_effort: 'low' });
    expect(response.reasoning).toMatchObject({ effort: 'low' });
  });

  it('reports log probabilities when include asks for them', async () => {
    const response = await client.responses.create({
      model: 'tiny-llm',
      input: 'ab',
      include: ['message.output_text.logprobs'],
      top_logprobs: 2,
      temperature: 0,
    });
    const text = response.output[0] as OpenAI.Responses.ResponseOutputMessage;
    const logprobs = (text.content[0] as OpenAI.Responses.ResponseOutputText).logprobs!;
    expect(logprobs.map((entry) => entry.token).join('')).toBe('ab');
    for (const entry of logprobs) {
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0]!.token).toBe(entry.token);
    }
  });

  it('refuses what it cannot do by name, with the param at fault', async () => {
    const cases: [unknown, number, string, string | null][] = [
      [{ model: 'tiny-llm', input: 'x', tools: [{ type: 'web_search' }] }, 400, 'invalid_parameter', 'tools.0.type'],
      [
        { model: 'tiny-llm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
        400,
        'files_unsupported',
        'input.0.content.0',
      ],
      [
        { model: 'tiny-llm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
        400,
        'file_ids_unsupported',
        'input.0.content.0.image_url',
      ],
      [
        { model: 'tiny-llm', input: [{ type: 'item_reference', id: `msg_${'a'.repeat(24)}_0` }] },
        404,
        'item_not_found',
        'input.0.id',
      ],
      [{ model: 'tiny-llm', input: 'x', background: true }, 400, 'unsupported_parameter', 'background'],
      [{ model: 'tiny-llm', input: 'x', conversation: 'conv_1' }, 400, 'unsupported_parameter', 'conversation'],
      [{ model: 'tiny-llm', input: [] }, 400, 'invalid_parameter', 'input'],
      [{ model: 'tiny-llm', input: [{ type: 'computer_call' }] }, 400, 'invalid_parameter', 'input.0.type'],
      [
        { model: 'tiny-llm', input: 'x', max_output_tokens: 100_000_000 },
        400,
        'max_tokens_too_large',
        'max_output_tokens',
      ],
      [
        {
          model: 'tiny-llm',
          input: 'x',
          text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object', not: {} } } },
        },
        400,
        'unsupported_json_schema',
        null,
      ],
      [{ model: 'tiny-llm', input: 'x', tool_choice: 'required' }, 400, 'tools_missing', 'tool_choice'],
      [{ model: 'no-such-model', input: 'x' }, 404, 'model_not_found', 'model'],
    ];
    for (const [body, status, code, param] of cases) {
      const response = await post(body);
      const answer = (await response.json()) as { error: { code: string; param: string | null; message: string } };
      expect({ status: response.status, code: answer.error.code }, JSON.stringify(body)).toEqual({ status, code });
      if (param !== null) expect(answer.error.param, JSON.stringify(body)).toBe(param);
      else expect(answer.error.param ?? '', JSON.stringify(body)).toMatch(/^text\.format/);
      expect(answer.error.message).not.toMatch(/\bat\s.*\.ts:\d+/);
    }
  });

  it('aborts generation when the client disconnects mid-stream', async () => {
    const before = probe.aborted;
    const controller = new AbortController();
    const response = await fetch(`${test.baseURL}/responses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'slow', input: 'go on', stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let seen = '';
    while (!seen.includes('response.output_text.delta')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await expect.poll(() => probe.aborted, { timeout: 5_000 }).toBe(before + 1);
    // The model is free again.
    const after = await client.responses.create({ model: 'tiny-llm', input: 'still here', temperature: 0 });
    expect(after.output_text).toBe('still here');
  });
});
