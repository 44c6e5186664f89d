import { describe, expect, it } from 'vitest';
import type { TokenLogprob } from '../../spec/index.ts';
import { type CallEvent, ToolCallStreamGate } from './tool-call-stream.ts';
import { parseToolCalls } from './tool-calls.ts';

const TOOLS = [{ name: 'get_weather' }];

/** Feeds `pieces` one by one; returns what was sent after each, and at the end. */
function run(pieces: string[]): { sent: string[]; final: string; calls: number } {
  const gate = new ToolCallStreamGate();
  const sent = pieces.map((piece) => gate.push(piece)?.text ?? '');
  const answer = pieces.join('');
  const parsed = parseToolCalls(answer, TOOLS);
  const result = parsed ? { text: parsed.text, toolCalls: parsed.toolCalls } : { text: answer };
  sent.push(gate.end(result)?.text ?? '');
  return { sent, final: result.text, calls: parsed?.toolCalls.length ?? 0 };
}

describe('ToolCallStreamGate', () => {
  it('streams an answer that calls nothing as it comes, holding only white space at the end', () => {
    const { sent, final } = run(['The sky', ' is blue', '.\n', 'Really.']);
    expect(sent).toEqual(['The sky', ' is blue', '.', '\nReally.', '']);
    expect(sent.join('')).toBe(final);
  });

  it('streams the text before a Hermes call, holds the call, and sends the text after it at the end', () => {
    const pieces = [
      'Let me',
      ' check.',
      '\n<tool',
      '_call>\n{"name": "get_weather", ',
      '"arguments": {}}\n</tool_call>',
    ];
    const { sent, final, calls } = run(pieces);
    expect(calls).toBe(1);
    expect(sent).toEqual(['Let me', ' check.', '', '', '', '']);
    expect(sent.join('')).toBe(final);
    const after = run(['Sure. <tool_call>{"name": "get_weather", "arguments": {}}</tool_call>', ' Done.']);
    expect(after.sent.join('')).toBe(after.final);
    expect(after.final).toBe('Sure.  Done.');
  });

  it('sends a half-written marker that turns out to be text', () => {
    const { sent, final, calls } = run(['a <tool', 'box> b']);
    expect(calls).toBe(0);
    expect(sent).toEqual(['a', ' <toolbox> b', '']);
    expect(sent.join('')).toBe(final);
  });

  it('holds an answer that opens like a whole-answer call (JSON, [TOOL_CALLS], <|python_tag|>) to the end', () => {
    const call = run(['{"name": "get_', 'weather", "parameters": {"city": "Oslo"}}']);
    expect(call).toMatchObject({ sent: ['', '', ''], final: '', calls: 1 });
    const mistral = run(['[TOOL', '_CALLS] [{"name": "get_weather", "arguments": {}}]']);
    expect(mistral).toMatchObject({ sent: ['', '', ''], calls: 1 });
    // JSON that calls nothing is sent whole at the end.
    const json = run(['  {"answer":', ' 42}']);
    expect(json.sent).toEqual(['', '', '  {"answer": 42}']);
    // A marker's first letters that go on differently are text.
    expect(run(['<|py', 'thon is fun']).sent).toEqual(['', '<|python is fun', '']);
  });

  it('sends the log probabilities of held tokens with the text they wrote; none for calls', () => {
    const token = (text: string): TokenLogprob => ({ token: text, logprob: -1, bytes: [], top: [] });
    const gate = new ToolCallStreamGate();
    expect(gate.push('Hi', [token('Hi')])).toEqual({ text: 'Hi', logprobs: [token('Hi')] });
    expect(gate.push(' ', [token(' ')])).toBeUndefined();
    expect(gate.push('there', [token('there')])).toEqual({ text: ' there', logprobs: [token(' '), token('there')] });
    expect(gate.push(' <tool_call>{}', [token(' <tool_call>{}')])).toBeUndefined();
    expect(
      gate.end({ text: 'Hi there', toolCalls: [{ id: 'c', name: 'get_weather', arguments: '{}' }] }),
    ).toBeUndefined();
  });

  it('streams each call as it is written: named once its arguments open, then their text', () => {
    const gate = new ToolCallStreamGate([{ name: 'get_weather' }, { name: 'get_time' }]);
    const answer =
      'Checking. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>\n' +
      '<tool_call>{"name": "get_time", "arguments": {"zone": "CET"}}</tool_call>';
    const events: CallEvent[] = [];
    let text = '';
    for (const character of answer) {
      text += gate.push(character)?.text ?? '';
      events.push(...gate.takeCallEvents());
    }
    expect(text).toBe('Checking.');
    const starts = events.filter((event) => event.type === 'start');
    expect(starts.map(({ index, name }) => [index, name])).toEqual([
      [0, 'get_weather'],
      [1, 'get_time'],
    ]);
    const argumentsOf = (index: number) =>
      events.flatMap((event) => (event.type === 'arguments' && event.index === index ? [event.text] : [])).join('');
    expect(argumentsOf(0)).toBe('{"city": "Oslo"}');
    expect(argumentsOf(1)).toBe('{"zone": "CET"}');
    // The gate keeps what it streamed: the finish's calls take these ids and texts.
    expect(gate.streamedCalls.map(({ id, name, arguments: args }) => [id, name, args])).toEqual([
      [starts[0]!.id, 'get_weather', '{"city": "Oslo"}'],
      [starts[1]!.id, 'get_time', '{"zone": "CET"}'],
    ]);
  });

  it('streams a whole answer that is one call (Llama 3.x, a forced call), not a list of them', () => {
    const streamed = (pieces: string[]) => {
      const gate = new ToolCallStreamGate(TOOLS);
      for (const piece of pieces) gate.push(piece);
      return gate.streamedCalls.map(({ name, arguments: args }) => `${name} ${args}`);
    };
    expect(streamed(['<|python_tag|>{"name": "get_weather", ', '"parameters": {"city": "Oslo"}}'])).toEqual([
      'get_weather {"city": "Oslo"}',
    ]);
    expect(streamed(['[{"name": "get_weather", "arguments": {}}]'])).toEqual([]);
    expect(streamed(['<|python_tag|>', 'get_weather.call(x={"name": "get_weather", "arguments": {}})'])).toEqual([]);
    expect(streamed(['[TOOL_CALLS] [{"name": "get_weather", "arguments": {}}]'])).toEqual([]);
  });

  it('stops streaming calls at the first one it cannot follow, so what streamed is a prefix of the calls', () => {
    const gate = new ToolCallStreamGate(TOOLS);
    gate.push('<tool_call>{"name": "get_weather", "arguments": "{}"}</tool_call>');
    gate.push('<tool_call>{"name": "get_weather", "arguments": {}}</tool_call>');
    expect(gate.takeCallEvents()).toEqual([]);
    expect(gate.streamedCalls).toEqual([]);
  });
});
