import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../testkit/build.ts';
import { isMmkitError } from '../../errors.ts';
import { OnnxChatModel } from '../../models/providers/onnx/onnx-chat-model.ts';
import type { ChatModel, ChatRequest } from '../../models/spec/index.ts';
import { recordingChatModel, ScriptedChatModel } from '../test-support/fake-models.ts';
import { CHAT_DEFAULTS, chat } from './chat.ts';
import { DEFAULT_SYSTEM_PROMPTS } from './system-prompt.ts';

describe('chat with the testkit echo model', () => {
  let directory: string;
  let echo: OnnxChatModel;
  let model: ChatModel & { requests: ChatRequest[] };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-chat-'));
    await buildTinyModel('llm', directory);
    echo = await OnnxChatModel.load(directory, { id: 'onnx:tiny-llm' });
    model = recordingChatModel(echo);
  });

  afterAll(async () => {
    await echo?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('answers with the seed defaults and an English instruction for English text', async () => {
    const reply = await chat({ text: 'What does 你好 mean?', model });
    expect(reply).toMatchObject({
      text: 'What does 你好 mean?',
      finishReason: 'stop',
      language: 'en',
      model: 'onnx:tiny-llm',
    });
    expect(reply.usage.completionTokens).toBe(Buffer.byteLength('What does 你好 mean?') + 1);
    const request = model.requests.at(-1)!;
    expect(request).toMatchObject({ ...CHAT_DEFAULTS });
    expect(request.messages).toEqual([
      { role: 'system', content: DEFAULT_SYSTEM_PROMPTS.en },
      { role: 'user', content: 'What does 你好 mean?' },
    ]);
  });

  it('asks for a Chinese answer when the user writes Chinese', async () => {
    const reply = await chat({ text: '请解释一下 machine learning。', model });
    expect(reply.text).toBe('请解释一下 machine learning。');
    expect(reply.language).toBe('zh');
    expect(model.requests.at(-1)!.messages[0]).toEqual({ role: 'system', content: DEFAULT_SYSTEM_PROMPTS.zh });
  });

  it('uses the caller’s system prompt, none for an empty one, and keeps a conversation’s own', async () => {
    await chat({ text: 'hello', model, system: 'Be terse.' });
    expect(model.requests.at(-1)!.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
    await chat({ text: 'hello', model, system: '' });
    expect(model.requests.at(-1)!.messages).toEqual([{ role: 'user', content: 'hello' }]);
    const conversation = [
      { role: 'system' as const, content: 'Answer in French.' },
      { role: 'user' as const, content: 'first question' },
      { role: 'assistant' as const, content: 'first answer' },
      { role: 'user' as const, content: 'second question' },
    ];
    const reply = await chat({ messages: conversation, model });
    expect(reply.text).toBe('second question');
    expect(model.requests.at(-1)!.messages).toEqual(conversation);
  });

  it('streams exactly the whole answer, piece by piece', async () => {
    const text = 'Streaming should give the same text. 流式输出也一样。';
    const whole = await chat({ text, model, seed: 7 });
    const deltas: string[] = [];
    const streamed = await chat({ text, model, seed: 7, onTextDelta: (delta) => deltas.push(delta) });
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.join('')).toBe(whole.text);
    expect(streamed.text).toBe(whole.text);
    expect(streamed.timings.firstTokenMs).toBeGreaterThan(0);
    expect(streamed.timings.firstTokenMs).toBeLessThanOrEqual(streamed.timings.totalMs);
  });

  it("keeps a reasoning model's thinking out of the answer (and out of what is streamed), reporting it apart", async () => {
    const text = '<think>\nshort plan</think>\n\nThe reply.';
    const whole = await chat({ text, model, seed: 7 });
    expect(whole).toMatchObject({ text: 'The reply.', reasoning: '\nshort plan' });
    const deltas: string[] = [];
    const thoughts: string[] = [];
    const streamed = await chat({
      text,
      model,
      seed: 7,
      onTextDelta: (delta) => deltas.push(delta),
      onReasoningDelta: (delta) => thoughts.push(delta),
    });
    expect(deltas.join('')).toBe('The reply.');
    expect(thoughts.join('')).toBe('\nshort plan');
    expect(streamed).toMatchObject({ text: 'The reply.', reasoning: '\nshort plan' });
  });

  it('passes the seed and sampling settings through, and cuts at maxNewTokens', async () => {
    const reply = await chat({ text: 'abcdefghij', model, seed: 42, maxNewTokens: 4, temperature: 0, topP: 1 });
    expect(reply).toMatchObject({ text: 'abcd', finishReason: 'length' });
    expect(model.requests.at(-1)).toMatchObject({ seed: 42, maxNewTokens: 4, temperature: 0, topP: 1 });
  });

  it('rejects with an AbortError when cancelled, before or during generation', async () => {
    await expect(chat({ text: 'never', model, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const controller = new AbortController();
    const deltas: string[] = [];
    const running = chat({
      text: 'a long enough message to be cut off part way through',
      model,
      signal: controller.signal,
      onTextDelta: (delta) => {
        deltas.push(delta);
        if (deltas.length === 3) controller.abort();
      },
    });
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(deltas.join('').length).toBeLessThan('a long enough message'.length);
  });
});

describe('chat input checks', () => {
  const model = new ScriptedChatModel({ pieces: ['ok'] });
  const failure = (options: Partial<Parameters<typeof chat>[0]>) =>
    chat({ model, ...options }).then(
      () => null,
      (error: unknown) => error,
    );

  it.each([
    [{}, 'chat: the text is empty'],
    [{ text: '   ' }, 'chat: the text is empty'],
    [
      { text: 'a', messages: [{ role: 'user' as const, content: 'b' }] },
      'chat: give either `text` or `messages`, not both',
    ],
    [{ messages: [] }, 'chat: `messages` is empty'],
    [
      { messages: [{ role: 'assistant' as const, content: 'b' }] },
      'chat: the conversation must end with a user message',
    ],
    [
      {
        messages: [
          { role: 'system' as const, content: 's' },
          { role: 'user' as const, content: 'u' },
        ],
        system: 'x',
      },
      'chat: give the system prompt either as `system` or as a system message, not both',
    ],
    [{ text: 'a', maxNewTokens: 0 }, 'chat: maxNewTokens must be an integer ≥ 1, got 0'],
    [{ text: 'a', temperature: -1 }, 'chat: temperature must be a number ≥ 0 and ≤ 2, got -1'],
    [{ text: 'a', topP: 0 }, 'chat: topP must be a number > 0 and ≤ 1, got 0'],
    [{ text: 'a', seed: 1.5 }, `chat: seed must be an integer ≥ 0 and ≤ ${Number.MAX_SAFE_INTEGER}, got 1.5`],
  ])('refuses %j with one line', async (options, message) => {
    const error = await failure(options);
    expect(isMmkitError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
    expect(model.requests).toEqual([]);
  });
});
