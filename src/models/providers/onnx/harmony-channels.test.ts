import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteLevelTokenizerJson, byteTokenIds } from '../../../../testkit/byte-tokenizer.ts';
import type { ChatRequest, ChatStreamPart, ToolDefinition } from '../../spec/index.ts';
import { AnswerBuilder } from './answer-builder.ts';
import { AnswerShaper } from './answer-shaper.ts';

/** gpt-oss's marker tokens, on top of a byte-level vocabulary. */
const MARKERS = { start: 256, end: 257, message: 258, channel: 259, constrain: 260, return: 261, call: 262 };
const END_OF_SEQUENCE = new Set([MARKERS.return, MARKERS.call]);

let folder: string;
let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'mmkit-harmony-'));
  const special = Object.entries(MARKERS).map(([name, id]) => ({ id, content: `<|${name}|>` }));
  await writeFile(join(folder, 'tokenizer.json'), JSON.stringify(byteLevelTokenizerJson(special)));
  await writeFile(
    join(folder, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', eos_token: '<|return|>', bos_token: null }),
  );
  tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A harmony answer as token ids: `[marker]` for a marker token, text for its bytes. */
function tokens(...pieces: (string | [keyof typeof MARKERS])[]): number[] {
  return pieces.flatMap((piece) => (typeof piece === 'string' ? byteTokenIds(piece) : [MARKERS[piece[0]]]));
}

/** Feeds the tokens one by one through the answer builder and shaper, as a generation would. */
function generate(ids: number[], tools?: ToolDefinition[]) {
  const request: ChatRequest = {
    messages: [],
    maxNewTokens: 500,
    temperature: 0,
    topP: 1,
    ...(tools ? { tools } : {}),
  };
  const shaper = new AnswerShaper(request);
  const parts: ChatStreamPart[] = [];
  const builder = new AnswerBuilder(tokenizer, request, END_OF_SEQUENCE, (text, logprobs, count) =>
    parts.push(...shaper.push(text, logprobs, count)),
  );
  for (const id of ids) builder.accept(id);
  const { parts: rest, result } = shaper.finish(builder.finish(0, performance.now()));
  parts.push(...rest);
  return { parts, result };
}

describe('harmony channels (gpt-oss)', () => {
  it('gives the analysis channel as reasoning and the final channel as the answer, streamed in order', () => {
    const { parts, result } = generate(
      tokens(
        ['channel'],
        'analysis',
        ['message'],
        'User greets. Reply.',
        ['end'],
        ['start'],
        'assistant',
        ['channel'],
        'final',
        ['message'],
        'Hello there!',
        ['return'],
      ),
    );
    expect(result).toMatchObject({ text: 'Hello there!', reasoning: 'User greets. Reply.', finishReason: 'stop' });
    const kinds = parts.map((part) => part.type);
    expect(kinds.lastIndexOf('reasoning-delta')).toBeLessThan(kinds.indexOf('text-delta'));
    const answer = parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
    expect(answer).toBe('Hello there!');
    // Every token counts; those of the analysis message (its markers included) are the thinking's.
    expect(result.usage.reasoningTokens).toBeGreaterThanOrEqual(Buffer.byteLength('User greets. Reply.'));
    expect(result.usage.reasoningTokens).toBeLessThan(result.usage.completionTokens);
  });

  it('makes a message to functions.NAME a tool call, streamed, its arguments the JSON the model wrote', () => {
    const tools = [{ name: 'get_weather' }];
    const { parts, result } = generate(
      tokens(
        ['channel'],
        'analysis',
        ['message'],
        'Need weather.',
        ['end'],
        ['start'],
        'assistant',
        ['channel'],
        'commentary to=functions.get_weather ',
        ['constrain'],
        'json',
        ['message'],
        '{"city": "Oslo"}',
        ['call'],
      ),
      tools,
    );
    expect(result).toMatchObject({ reasoning: 'Need weather.', text: '', finishReason: 'tool-calls' });
    expect(result.toolCalls).toMatchObject([{ name: 'get_weather', arguments: '{"city": "Oslo"}' }]);
    const start = parts.find((part) => part.type === 'tool-call-start');
    expect(start).toMatchObject({ name: 'get_weather', id: result.toolCalls![0]!.id });
    const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part.argumentsDelta] : []));
    expect(deltas.join('')).toBe('{"city": "Oslo"}');
    // The recipient may also follow the role (`<|start|>assistant to=functions.x<|channel|>commentary`).
    const { result: other } = generate(
      tokens(['start'], 'assistant to=functions.get_weather', ['channel'], 'commentary json', ['message'], '{}', [
        'call',
      ]),
      tools,
    );
    expect(other.toolCalls).toMatchObject([{ name: 'get_weather', arguments: '{}' }]);
  });

  it('answers with what a model writes outside any channel, and with a final message alone', () => {
    expect(generate(tokens('plain text', ['return'])).result.text).toBe('plain text');
    const { result } = generate(tokens(['channel'], 'final', ['message'], '你好', ['return']));
    expect(result).toMatchObject({ text: '你好' });
    expect(result.reasoning).toBeUndefined();
  });
});
