import { describe, expect, it } from 'vitest';
import type { TokenLogprob } from '../../spec/index.ts';
import { ToolCallStreamGate } from './tool-call-stream.ts';
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
});
