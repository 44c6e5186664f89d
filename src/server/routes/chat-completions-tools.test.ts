/**
 * `POST /v1/chat/completions` with tools: calls in the formats local models write, streamed as they
 * are written, forced by tool_choice, and taken back with their results (official SDK, AI SDK).
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../test-support/test-server.ts';

describe('POST /v1/chat/completions with tools', () => {
  let test: TestServer;
  let client: OpenAI;

  beforeAll(async () => {
    test = await startTestServer();
    client = new OpenAI({ baseURL: test.baseURL, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('returns tool calls the model makes (whole and streamed), and takes the tool results back', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    // The echo model says what it is told: here, a call in the Hermes format Qwen-style templates ask for.
    const call = 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
    const whole = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: call }],
      tools,
      temperature: 0,
    });
    const choice = whole.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Let me check.');
    expect(choice.message.tool_calls).toHaveLength(1);
    const [made] = choice.message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
    expect(made!.id).toMatch(/^call_/);
    expect(made!.function.name).toBe('get_weather');
    expect(JSON.parse(made!.function.arguments)).toEqual({ city: 'Paris' });

    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: call }],
      tools,
      temperature: 0,
      stream: true,
    });
    let content = '';
    let finish: string | null = null;
    const pieces: { index: number; id?: string; name?: string; arguments?: string }[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      content += delta?.content ?? '';
      for (const piece of delta?.tool_calls ?? []) {
        pieces.push({
          index: piece.index,
          id: piece.id,
          name: piece.function?.name,
          arguments: piece.function?.arguments,
        });
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ content, finish }).toEqual({ content: 'Let me check.', finish: 'tool_calls' });
    // As OpenAI streams a call: its id and name first, then the arguments as the model writes them.
    expect(pieces[0]).toEqual({ index: 0, id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '' });
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.slice(1).every((piece) => piece.index === 0 && piece.id === undefined)).toBe(true);
    expect(pieces.map((piece) => piece.arguments).join('')).toBe('{"city": "Paris"}');

    // The official SDK's stream helper and the AI SDK put the pieces together again.
    const helper = client.chat.completions.stream({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: call }],
      tools,
      temperature: 0,
    });
    const final = await helper.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
    });
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL });
    const viaAiSdk = streamText({
      model: mmkit('tiny-llm'),
      prompt: call,
      temperature: 0,
      tools: { get_weather: tool({ inputSchema: z.object({ city: z.string() }) }) },
    });
    const inputDeltas: string[] = [];
    for await (const part of viaAiSdk.fullStream) if (part.type === 'tool-input-delta') inputDeltas.push(part.delta);
    expect(inputDeltas.length).toBeGreaterThan(5);
    expect(await viaAiSdk.toolCalls).toMatchObject([{ toolName: 'get_weather', input: { city: 'Paris' } }]);

    // With tools offered, an answer that calls nothing still streams as it is written.
    const plain = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'no call here, just words' }],
      tools,
      temperature: 0,
      stream: true,
    });
    const words: string[] = [];
    for await (const chunk of plain) if (chunk.choices[0]?.delta.content) words.push(chunk.choices[0].delta.content);
    expect(words.join('')).toBe('no call here, just words');
    expect(words.length).toBeGreaterThan(3);

    // The AI SDK reads the same call whole too (its tool has no execute: the call is the result).
    const wholeViaAiSdk = await generateText({
      model: mmkit('tiny-llm'),
      prompt: call,
      temperature: 0,
      tools: {
        get_weather: tool({ description: 'The weather in a city', inputSchema: z.object({ city: z.string() }) }),
      },
    });
    expect(wholeViaAiSdk.toolCalls).toMatchObject([{ toolName: 'get_weather', input: { city: 'Paris' } }]);
    expect(wholeViaAiSdk.finishReason).toBe('tool-calls');

    // The conversation goes on with the call and its result; a call of a tool not offered stays text.
    const followUp = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: made!.id, type: 'function', function: made!.function }],
        },
        { role: 'tool', tool_call_id: made!.id, content: '{"temperature": 21}' },
        { role: 'user', content: '<tool_call>{"name": "launch_rocket", "arguments": {}}</tool_call>' },
      ],
      tools,
      temperature: 0,
    });
    expect(followUp.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: '<tool_call>{"name": "launch_rocket", "arguments": {}}</tool_call>' },
    });
    // tool_choice none hides the tools: the same answer is plain text.
    const none = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: call }],
      tools,
      tool_choice: 'none',
      temperature: 0,
    });
    expect(none.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: call } });
    await expect(
      client.chat.completions.create({ model: 'tiny-llm', messages: [{ role: 'tool', content: 'x' } as never] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages.0.tool_call_id' });
  });

  it('forces a call with tool_choice required or a named function (official SDK, streamed, the AI SDK)', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string', minLength: 1 } }, required: ['city'] },
        },
      },
      {
        type: 'function' as const,
        function: { name: 'get_time', parameters: z.toJSONSchema(z.object({ zone: z.enum(['UTC', 'CET']) })) },
      },
    ];
    // The echo model would chat; the call is forced and its arguments held to the tool's schema.
    const named = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'what time is it?' }],
      tools,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      temperature: 0,
    });
    expect(named.choices[0]?.finish_reason).toBe('tool_calls');
    const [call] = named.choices[0]!.message.tool_calls as Array<{ function: { name: string; arguments: string } }>;
    expect(call?.function.name).toBe('get_time');
    expect(['UTC', 'CET']).toContain(JSON.parse(call!.function.arguments).zone);
    const stream = await client.chat.completions.create({
      model: 'tiny-llm',
      messages: [{ role: 'user', content: 'hello' }],
      tools,
      tool_choice: 'required',
      temperature: 0,
      stream: true,
    });
    const names: string[] = [];
    let streamedArguments = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const piece of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (piece.function?.name) names.push(piece.function.name);
        streamedArguments += piece.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    // The forced call streams too: named once, its arguments (held to the schema) in pieces.
    expect(names).toHaveLength(1);
    expect(['get_weather', 'get_time']).toContain(names[0]);
    expect(JSON.parse(streamedArguments)).toEqual(expect.any(Object));
    const mmkit = createOpenAICompatible({ name: 'mmkit', baseURL: test.baseURL });
    const viaAiSdk = await generateText({
      model: mmkit('tiny-llm'),
      prompt: 'no call in here',
      temperature: 0,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      tools: { get_weather: tool({ inputSchema: z.object({ city: z.string().min(1) }) }) },
    });
    expect(viaAiSdk.toolCalls).toMatchObject([{ toolName: 'get_weather', input: { city: expect.any(String) } }]);
    const refused = [
      [{ tool_choice: 'required' }, 'tools_missing'],
      [{ tools, tool_choice: { type: 'function', function: { name: 'launch_rocket' } } }, 'unknown_tool'],
      [{ tools, tool_choice: 'sometimes' }, 'invalid_value'],
    ] as const;
    for (const [fields, code] of refused) {
      await expect(
        client.chat.completions.create({
          model: 'tiny-llm',
          messages: [{ role: 'user', content: 'hi' }],
          ...(fields as object),
        } as never),
        code,
      ).rejects.toMatchObject({ status: 400, param: 'tool_choice' });
    }
  });
});
