import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { createDefaultRegistry } from '../../default-registry.ts';
import type {
  ChatMessage,
  ChatRequest,
  ChatStreamPart,
  PromptPart,
  TextCompletionStreamPart,
  TokenLogprob,
} from '../../spec/index.ts';
import { OnnxChatModel } from './onnx-chat-model.ts';

const greedy = { maxNewTokens: 64, temperature: 0, topP: 1 };

function ask(content: string, settings: Partial<ChatRequest> = {}): ChatRequest {
  return { ...greedy, ...settings, messages: [{ role: 'user', content }] };
}

async function collect(parts: AsyncIterable<ChatStreamPart | TextCompletionStreamPart>) {
  const deltas: string[] = [];
  const logprobs: TokenLogprob[] = [];
  let finish: Extract<ChatStreamPart, { type: 'finish' }> | undefined;
  let prompt: PromptPart | undefined;
  const reasoning: string[] = [];
  for await (const part of parts) {
    if (part.type === 'text-delta') {
      deltas.push(part.text);
      logprobs.push(...(part.logprobs ?? []));
    } else if (part.type === 'prompt') prompt = part;
    else if (part.type === 'reasoning-delta') reasoning.push(part.text);
    else if (part.type === 'finish') finish = part;
  }
  return { deltas, logprobs, prompt, reasoning, finish: finish! };
}

describe.each([
  ['our decode loop', 'auto', 'kv-cache-decoder'],
  ["Transformers.js's generate()", 'transformers', 'transformers-generate'],
] as const)('OnnxChatModel on the testkit echo model, %s', (_name, generationLoop, expectedLoop) => {
  let directory: string;
  let model: OnnxChatModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-chat-'));
    await buildTinyModel('llm', directory);
    model = await OnnxChatModel.load(directory, { id: 'onnx:tiny-llm', generationLoop });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('describes itself: id, text only, context from max_position_embeddings, memory = ONNX file size', async () => {
    expect(model.description).toMatchObject({ id: 'onnx:tiny-llm', provider: 'onnx' });
    expect(model.acceptsImages).toBe(false);
    expect(model.generationLoop).toBe(expectedLoop);
    expect(model.contextLength).toBe(512);
    expect(model.weights).toEqual({ dtype: 'fp32', files: ['onnx/model.onnx'] });
    expect(model.description.memoryBytes).toBe((await stat(join(directory, 'onnx', 'model.onnx'))).size);
  });

  it('answers through the chat template: system message, several turns, the last user turn echoed', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You repeat.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first question' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'second ' },
          { type: 'text', text: 'question' },
        ],
      },
    ];
    const result = await model.generate({ ...greedy, messages });
    expect(result.text).toBe('second question');
    expect(result.finishReason).toBe('stop');
    // Each turn is `<|role|>`, `\n`, one token per byte, `<|end|>`, `\n`; then `<|assistant|>\n`.
    const turns = ['You repeat.', 'first question', 'first question', 'second question'];
    expect(result.usage.promptTokens).toBe(turns.reduce((sum, turn) => sum + turn.length + 4, 2));
    // 15 bytes and <|end|>.
    expect(result.usage.completionTokens).toBe(16);
    expect(result.timings.totalMs).toBeGreaterThan(0);
    expect(result.timings.firstOutputMs).toBeLessThanOrEqual(result.timings.totalMs);
  });

  it('echoes Chinese, and streams it in whole characters that add up to generate()', async () => {
    const question = '图像里是什么？一只猫。naïve';
    const whole = await model.generate(ask(question));
    expect(whole.text).toBe(question);
    const { deltas, finish } = await collect(model.stream(ask(question)));
    expect(deltas.join('')).toBe(whole.text);
    expect(deltas.slice(0, 3)).toEqual(['图', '像', '里']);
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
    expect(finish).toMatchObject({ finishReason: 'stop', usage: whole.usage });
  });

  it('stops at maxNewTokens with finishReason length', async () => {
    const result = await model.generate(ask('a long message to cut short', { maxNewTokens: 6 }));
    expect(result).toMatchObject({ text: 'a long', finishReason: 'length', usage: { completionTokens: 6 } });
  });

  it('stops before a stop string and does not include it', async () => {
    const result = await model.generate(ask('keep this STOP not this', { stop: ['STOP', 'zzz'] }));
    expect(result).toMatchObject({ text: 'keep this ', finishReason: 'stop' });
    const streamed = await collect(model.stream(ask('keep this STOP not this', { stop: ['STOP'] })));
    expect(streamed.deltas.join('')).toBe('keep this ');
  });

  it('reproduces sampled text with the same seed; other seeds give other text', async () => {
    const sample = async (temperature: number, seed: number) =>
      (await model.generate(ask('sampling with seeds', { temperature, seed, maxNewTokens: 24 }))).text;
    // At temperature 1 the echo model's margins (≥ 20 logits) keep the echo.
    expect(await sample(1, 5)).toBe('sampling with seeds');
    expect(await sample(1, 5)).toBe(await sample(1, 5));
    // Hot enough to wander: the same seed still repeats itself, different seeds diverge.
    const first = await sample(8, 11);
    expect(await sample(8, 11)).toBe(first);
    const others = await Promise.all([12, 13, 14, 15].map((seed) => sample(8, seed)));
    expect(new Set([first, ...others]).size).toBeGreaterThan(2);
  });

  it('stops at the next token when aborted mid-stream, with finishReason abort', async () => {
    const controller = new AbortController();
    const message = 'this message is long enough to be interrupted halfway through';
    const deltas: string[] = [];
    let finish: ChatStreamPart | undefined;
    for await (const part of model.stream(ask(message, { signal: controller.signal }))) {
      if (part.type === 'text-delta') {
        deltas.push(part.text);
        if (deltas.length === 3) controller.abort();
      } else {
        finish = part;
      }
    }
    // Tokens already queued when the consumer aborted may still arrive; nothing generated after it does.
    const text = deltas.join('');
    expect(message.startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThanOrEqual(3);
    expect(text.length).toBeLessThan(10);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'abort', usage: { completionTokens: text.length } });
  });

  it('does not start when the signal is already aborted', async () => {
    const result = await model.generate(ask('never', { signal: AbortSignal.abort() }));
    expect(result).toMatchObject({ text: '', finishReason: 'abort', usage: { completionTokens: 0 } });
  });

  it('ending a stream early stops generation and the model stays usable', async () => {
    for await (const part of model.stream(ask('break out early'))) {
      expect(part).toEqual({ type: 'text-delta', text: 'b' });
      break;
    }
    expect((await model.generate(ask('still fine'))).text).toBe('still fine');
  });

  it('answers one JSON object in JSON mode: an object it would say anyway unchanged, chat turned into one', async () => {
    const json = { responseFormat: { type: 'json' as const } };
    const object = '{"os": {"v": 17.4}, "ok": [true]}';
    expect(await model.generate(ask(object, json))).toMatchObject({ text: object, finishReason: 'stop' });
    for (const prompt of ['The answer is {"a": 1}, thanks', 'hello there', '[1, 2, 3]']) {
      const free = await model.generate(ask(prompt));
      expect(free.text).toBe(prompt);
      const constrained = await model.generate(ask(prompt, { ...json, temperature: 0.8, seed: 3 }));
      expect(constrained.finishReason, prompt).toBe('stop');
      expect(JSON.parse(constrained.text), prompt).toBeTypeOf('object');
      expect(constrained.text.startsWith('{'), prompt).toBe(true);
    }
  });
  it('reports log probabilities: chosen tokens, split characters as bytes, runner-ups, streamed with their text', async () => {
    const result = await model.generate(ask('hi 你', { logprobs: 2 }));
    const entries = result.logprobs!;
    // 你 is three byte tokens: each alone is U+FFFD, its bytes say what it is.
    expect(entries.map((entry) => entry.bytes)).toEqual([[104], [105], [32], [0xe4], [0xbd], [0xa0]]);
    expect(entries.map((entry) => entry.token)).toEqual(['h', 'i', ' ', '\ufffd', '\ufffd', '\ufffd']);
    for (const entry of entries) {
      expect(entry.logprob).toBeCloseTo(0, 4);
      expect(entry.top).toHaveLength(2);
      expect(entry.top[0]).toMatchObject({ token: entry.token, bytes: entry.bytes });
      // The runner-up is a token whose id differs in one bit: the LM head scores it 20 lower.
      expect(entry.top[1]!.logprob).toBeCloseTo(-20, 2);
      const bits = entry.bytes[0]! ^ entry.top[1]!.bytes[0]!;
      expect(bits & (bits - 1)).toBe(0);
    }
    const streamed: TokenLogprob[] = [];
    let text = '';
    for await (const part of model.stream(ask('hi 你', { logprobs: 0 }))) {
      if (part.type !== 'text-delta') continue;
      text += part.text;
      streamed.push(...(part.logprobs ?? []));
    }
    expect(text).toBe('hi 你');
    expect(streamed.map(({ bytes, logprob }) => ({ bytes, logprob }))).toEqual(
      entries.map(({ bytes, logprob }) => ({ bytes, logprob })),
    );
    expect(streamed.every((entry) => entry.top.length === 0)).toBe(true);
    expect((await model.generate(ask('hi'))).logprobs).toBeUndefined();
  });

  it("applies presence and frequency penalties to the answer's own tokens", async () => {
    const prompt = 'a'.repeat(20);
    expect((await model.generate(ask(prompt))).text).toBe(prompt);
    // The echo model prefers the right token by 20 logits: 2 per earlier 'a' overtakes it at the tenth.
    const penalised = (await model.generate(ask(prompt, { frequencyPenalty: 2 }))).text;
    expect(penalised.slice(0, 10)).toBe('a'.repeat(10));
    expect(penalised[10]).not.toBe('a');
    // A presence penalty is paid once: 2 never overtakes 20.
    expect((await model.generate(ask(prompt, { presencePenalty: 2 }))).text).toBe(prompt);
    await expect(model.generate(ask(prompt, { frequencyPenalty: 3 }))).rejects.toMatchObject({
      code: 'invalid_sampling',
      param: 'frequencyPenalty',
    });
  });

  it("adds a logit bias to the tokens' logits: enough of it forces or bans a token", async () => {
    // A byte a token (z is 122, a is 97); the echo model prefers the right token by 20 logits.
    expect((await model.generate(ask('abc', { logitBias: { 122: 100 }, maxNewTokens: 3 }))).text).toBe('zzz');
    expect((await model.generate(ask('abc', { logitBias: { 122: 19 } }))).text).toBe('abc');
    const banned = await model.generate(ask('aaaa', { logitBias: { 97: -100 } }));
    expect(banned.text).not.toContain('a');
    const streamed = await collect(model.stream(ask('abc', { logitBias: { 122: 100 }, maxNewTokens: 3 })));
    expect(streamed.deltas.join('')).toBe('zzz');
    await expect(model.generate(ask('abc', { logitBias: { 100000: 5 } }))).rejects.toMatchObject({
      code: 'token_out_of_range',
      param: 'logit_bias',
    });
  });

  it('continues raw text without the chat template (streamed), from where the prompt stops', async () => {
    const complete = async (prompt: string, settings: Partial<ChatRequest> = {}) =>
      collect(model.complete({ ...greedy, ...settings, prompt }));
    // Written in the template's own format, the prompt gets the echo the chat path gives.
    const templated = await complete('<|user|>\nhello there<|end|>\n<|assistant|>\n');
    expect(templated.deltas.join('')).toBe('hello there');
    expect(templated.finish).toMatchObject({ finishReason: 'stop', usage: { promptTokens: 17, completionTokens: 12 } });
    // Half the answer written already: the model goes on from there (nothing wraps the prompt).
    expect((await complete('<|user|>\nabcdef<|end|>\n<|assistant|>\nabc')).deltas.join('')).toBe('def');
    const cut = await complete('<|user|>\nabcdef<|end|>\n<|assistant|>\n', { maxNewTokens: 2 });
    expect(cut.deltas.join('')).toBe('ab');
    expect(cut.finish.finishReason).toBe('length');
  });

  it('gives the prompt back (echo), scored where its loop can, and takes token ids', async () => {
    const prompt = '<|user|>\nab<|end|>\n<|assistant|>\nab';
    const echoed = await collect(model.complete({ ...greedy, prompt, echo: true, maxNewTokens: 0 }));
    expect(echoed).toMatchObject({ prompt: { type: 'prompt', text: prompt }, deltas: [] });
    expect(echoed.finish).toMatchObject({ finishReason: 'length', usage: { completionTokens: 0 } });
    const scoring = collect(model.complete({ ...greedy, prompt, echo: true, promptLogprobs: 1, maxNewTokens: 0 }));
    if (expectedLoop === 'kv-cache-decoder') {
      const scored = (await scoring).prompt!.logprobs!;
      expect(scored.map((token) => token.token).join('')).toBe(prompt);
      expect(scored[0]).toMatchObject({ logprob: null, top: null });
      // The answer's own letters are what the echo model expects next.
      expect(scored.at(-1)!.logprob).toBeGreaterThan(-0.001);
      expect(scored.at(-1)!.top).toHaveLength(1);
    } else {
      await expect(scoring).rejects.toMatchObject({ code: 'prompt_logprobs_unsupported', status: 400 });
    }
    const tokenizer = await AutoTokenizer.from_pretrained(directory);
    const ids = tokenizer.encode(prompt, { add_special_tokens: false });
    expect((await collect(model.complete({ ...greedy, prompt: ids, echo: true, maxNewTokens: 1 }))).prompt?.text).toBe(
      prompt,
    );
    await expect(collect(model.complete({ ...greedy, prompt: [1, 10_000_000] }))).rejects.toMatchObject({
      code: 'token_out_of_range',
    });
  });

  it('holds the answer to a JSON schema: an answer that fits unchanged, anything else turned into one that fits', async () => {
    const shape = z.object({
      colour: z.enum(['red', 'green']),
      count: z.int(),
      tags: z.array(z.string().max(5)).max(2),
      note: z.string().nullable().optional(),
    });
    const format = { responseFormat: { type: 'json' as const, schema: z.toJSONSchema(shape) } };
    const fits = '{"colour": "green", "count": 3, "tags": ["a", "b"]}';
    expect(await model.generate(ask(fits, format))).toMatchObject({ text: fits, finishReason: 'stop' });
    // The byte-level tokenizer writes Chinese a byte per token: keys, enum values and lengths still fit.
    const chinese = {
      type: 'object',
      properties: { 城市: { enum: ['北京', '上海'] }, 备注: { type: 'string', maxLength: 4 } },
    };
    const answer = '{"城市": "上海", "备注": "天气很好"}';
    expect(
      await model.generate(ask(answer, { responseFormat: { type: 'json', schema: chinese }, maxNewTokens: 100 })),
    ).toMatchObject({ text: answer, finishReason: 'stop' });
    for (const prompt of [
      '{"colour": "blue", "count": 1.5, "tags": ["toolong"]}',
      'hello there',
      '{"count": 2, "x": 1}',
    ]) {
      for (const settings of [{ temperature: 0 }, { temperature: 0.8, seed: 5 }]) {
        const answer = await model.generate(ask(prompt, { ...format, ...settings, maxNewTokens: 200 }));
        expect(answer.finishReason, prompt).toBe('stop');
        expect(shape.safeParse(JSON.parse(answer.text)).success, `${prompt} → ${answer.text}`).toBe(true);
      }
    }
  });

  it('streams a tool call as the model writes it; the finish gives the same call whole', async () => {
    const call = 'On it.<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>';
    const parts: ChatStreamPart[] = [];
    for await (const part of model.stream(ask(call, { tools: [{ name: 'get_weather' }], maxNewTokens: 200 }))) {
      parts.push(part);
    }
    const start = parts.find((part) => part.type === 'tool-call-start');
    expect(start).toMatchObject({ index: 0, name: 'get_weather', id: expect.stringMatching(/^call_/) });
    const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part.argumentsDelta] : []));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe('{"city": "Oslo"}');
    // The text before the call came first; the call began before the model had finished writing it.
    expect(parts.findIndex((part) => part.type === 'text-delta')).toBeLessThan(parts.indexOf(start!));
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      finishReason: 'tool-calls',
      toolCalls: [{ id: (start as { id: string }).id, name: 'get_weather', arguments: '{"city": "Oslo"}' }],
    });
    // Whole, the same call (its own id).
    const whole = await model.generate(ask(call, { tools: [{ name: 'get_weather' }], maxNewTokens: 200 }));
    expect(whole.toolCalls).toMatchObject([{ name: 'get_weather', arguments: '{"city": "Oslo"}' }]);
  });

  it('forces a tool call when asked to: a named tool, or any of them', async () => {
    const tools = [
      { name: 'get_weather', parameters: z.toJSONSchema(z.object({ city: z.string().min(1) })) },
      {
        name: 'get_time',
        parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
      },
    ];
    const named = await model.generate(
      ask('hello there', { tools, toolChoice: { name: 'get_time' }, maxNewTokens: 200 }),
    );
    expect(named).toMatchObject({ text: '', finishReason: 'tool-calls', toolCalls: [{ name: 'get_time' }] });
    expect(JSON.parse(named.toolCalls![0]!.arguments)).toEqual({ zone: expect.any(String) });
    const call = '{"name": "get_weather", "arguments": {"city": "Oslo"}}';
    const echoed = await model.generate(ask(call, { tools, toolChoice: 'required', maxNewTokens: 200 }));
    expect(echoed.toolCalls?.map((toolCall) => [toolCall.name, toolCall.arguments])).toEqual([
      ['get_weather', '{"city": "Oslo"}'],
    ]);
    const any = await model.generate(ask('what time is it?', { tools, toolChoice: 'required', maxNewTokens: 200 }));
    expect(any.finishReason).toBe('tool-calls');
    expect(any.toolCalls).toHaveLength(1);
    expect(['get_weather', 'get_time']).toContain(any.toolCalls?.[0]?.name);
    await expect(model.generate(ask('x', { tools, toolChoice: { name: 'launch' } }))).rejects.toMatchObject({
      code: 'unknown_tool',
      param: 'tool_choice',
    });
    await expect(
      model.generate(ask('x', { responseFormat: { type: 'json', schema: { type: 'object', not: {} } } })),
    ).rejects.toThrow("response_format: unsupported JSON schema at #: the keyword 'not' is not supported");
  });
});

describe('both generation loops', () => {
  it('sample the same text from the same seed', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-loops-'));
    await buildTinyModel('llm', directory);
    const ours = await OnnxChatModel.load(directory);
    const library = await OnnxChatModel.load(directory, { generationLoop: 'transformers' });
    for (const seed of [1, 2, 3]) {
      const request = ask('same seed, same words', { temperature: 6, topP: 0.9, topK: 20, seed, maxNewTokens: 20 });
      const [a, b] = [await ours.generate(request), await library.generate(request)];
      expect(a.text).toBe(b.text);
      expect(a.usage).toEqual(b.usage);
    }
    // With a repetition penalty too.
    const penalised = ask('penalised', { temperature: 0, repetitionPenalty: 1.3, maxNewTokens: 12 });
    expect((await ours.generate(penalised)).text).toBe((await library.generate(penalised)).text);
    await ours.dispose();
    await library.dispose();
    await rm(directory, { recursive: true, force: true });
  });
});

describe('chat templates beside the tokenizer', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-template-'));
    await buildTinyModel('llm', directory);
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const upperTemplate =
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + (message['content'] | upper) + '<|end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

  it('uses chat_template.json over tokenizer_config.json, and chat_template.jinja over both', async () => {
    await writeFile(join(directory, 'chat_template.json'), JSON.stringify({ chat_template: upperTemplate }));
    let model = await OnnxChatModel.load(directory);
    expect((await model.generate(ask('shout this'))).text).toBe('SHOUT THIS');
    await model.dispose();

    await writeFile(join(directory, 'chat_template.jinja'), upperTemplate.replace('upper', 'lower'));
    model = await OnnxChatModel.load(directory);
    expect((await model.generate(ask('Whisper THIS'))).text).toBe('whisper this');
    await model.dispose();
  });
});

describe('reasoning models (a <think> block before the answer)', () => {
  let directory: string;
  let model: OnnxChatModel;

  // Qwen3's way: the generation prompt opens the block, or with enable_thinking false opens and closes it.
  const thinkingTemplate =
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}" +
    "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% else %}{{ '<think>\\n' }}{% endif %}{% endif %}";

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-thinking-'));
    await buildTinyModel('llm', directory);
    await writeFile(join(directory, 'chat_template.jinja'), thinkingTemplate);
    model = await OnnxChatModel.load(directory);
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  // The echo model copies the user's bytes from where the generation prompt leaves off: after the
  // opened `<think>\n` it writes the rest of the message, as a thinking model would go on.
  const message = '<think>\nfirst a plan</think>\n\nThe answer.';

  it('answers without the thinking and gives it as reasoning, whole and streamed', async () => {
    const whole = await model.generate(ask(message));
    expect(whole).toMatchObject({ text: 'The answer.', reasoning: 'first a plan', finishReason: 'stop' });
    const streamed = await collect(model.stream(ask(message)));
    expect(streamed.reasoning.join('')).toBe('first a plan');
    expect(streamed.deltas.join('')).toBe('The answer.');
    expect(streamed.reasoning.length).toBeGreaterThan(1);
    // A byte a token: 'first a plan</think>' are the 20 spent thinking, of all the answer's.
    const answered = Buffer.byteLength('first a plan</think>\n\nThe answer.') + 1;
    expect(whole.usage).toMatchObject({ completionTokens: answered, reasoningTokens: 20 });
    expect(streamed.finish.usage).toEqual(whole.usage);
    // An answer without thinking has no thinking count.
    expect(
      (await model.generate(ask('<think>\n\n</think>\n\nhi', { templateVariables: { enable_thinking: false } }))).usage
        .reasoningTokens,
    ).toBeUndefined();
  });

  it('passes template variables: enable_thinking false closes the block in the prompt', async () => {
    const plain = '<think>\n\n</think>\n\nhello';
    const answer = await model.generate(ask(plain, { templateVariables: { enable_thinking: false } }));
    expect(answer.text).toBe('hello');
    expect(answer.reasoning).toBeUndefined();
  });

  it("takes template variables from the model's config entry, a request's own winning", async () => {
    const config = { models: { quick: { id: directory, templateVariables: { enable_thinking: false } } } };
    const configured = (await createDefaultRegistry({ config }).load('chat', 'quick')) as OnnxChatModel;
    expect((await configured.generate(ask('<think>\n\n</think>\n\nhello'))).text).toBe('hello');
    const thinking = await configured.generate(ask(message, { templateVariables: { enable_thinking: true } }));
    expect(thinking.reasoning).toBe('first a plan');
    await configured.dispose();
    const refused = { models: { bad: { id: directory, templateVariables: 'off' } } };
    await expect(createDefaultRegistry({ config: refused }).load('chat', 'bad')).rejects.toMatchObject({
      code: 'template_variables_invalid',
    });
  });

  it('answers JSON mode with the JSON itself, though the template opened a block', async () => {
    const answer = await model.generate(ask('{"a": 1}', { responseFormat: { type: 'json' } }));
    expect(JSON.parse(answer.text)).toBeTypeOf('object');
    expect(answer.reasoning).toBeUndefined();
  });

  it('calls tools after thinking', async () => {
    const call =
      '<think>\nthe weather tool</think>\n<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>';
    const answer = await model.generate(ask(call, { tools: [{ name: 'get_weather' }], maxNewTokens: 200 }));
    expect(answer).toMatchObject({ reasoning: 'the weather tool', text: '', finishReason: 'tool-calls' });
    expect(answer.toolCalls?.[0]).toMatchObject({ name: 'get_weather', arguments: '{"city": "Oslo"}' });
  });
});
