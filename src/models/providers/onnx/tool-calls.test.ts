import { describe, expect, it } from 'vitest';
import { parseToolCalls } from './tool-calls.ts';

const TOOLS = [{ name: 'get_weather' }, { name: 'search' }];

describe('parseToolCalls', () => {
  it('reads Hermes-style blocks, several of them, keeping the text around them', () => {
    const answer =
      'Checking both.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n' +
      '<tool_call>{"name": "search", "arguments": "{\\"q\\": \\"rain\\"}"}</tool_call>';
    const parsed = parseToolCalls(answer, TOOLS);
    expect(parsed?.text).toBe('Checking both.');
    expect(parsed?.toolCalls.map(({ name, arguments: args }) => [name, JSON.parse(args)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['search', { q: 'rain' }],
    ]);
    const ids = parsed!.toolCalls.map((call) => call.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it('reads a block the model did not close (it stopped at its end token)', () => {
    const parsed = parseToolCalls('<tool_call>\n{"name": "search", "arguments": {"q": "x"}}', TOOLS);
    expect(parsed?.toolCalls.map((call) => call.name)).toEqual(['search']);
  });

  it('reads a bare JSON call or list of calls (Llama 3 style), with parameters for arguments', () => {
    const one = parseToolCalls(' {"name": "get_weather", "parameters": {"city": "Oslo"}} ', TOOLS);
    expect(one).toMatchObject({ text: '', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    const two = parseToolCalls('[{"name": "search", "arguments": {}}, {"name": "get_weather"}]', TOOLS);
    expect(two?.toolCalls.map((call) => [call.name, call.arguments])).toEqual([
      ['search', '{}'],
      ['get_weather', '{}'],
    ]);
  });

  it("reads Mistral's [TOOL_CALLS] list and Llama 3.1's <|python_tag|> call", () => {
    const mistral = parseToolCalls('[TOOL_CALLS] [{"name": "search", "arguments": {"q": "tides"}}]', TOOLS);
    expect(mistral?.toolCalls.map((call) => [call.name, call.arguments])).toEqual([['search', '{"q":"tides"}']]);
    const llama = parseToolCalls('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Lima"}}', TOOLS);
    expect(llama?.toolCalls.map((call) => call.name)).toEqual(['get_weather']);
  });

  it('leaves text that calls nothing, calls a tool not offered, or is not JSON', () => {
    for (const answer of [
      'It is sunny in Paris.',
      '<tool_call>{"name": "launch_rocket", "arguments": {}}</tool_call>',
      '<tool_call>{"name": "search", "arguments": </tool_call>',
      '{"temperature": 21}',
      '[]',
    ]) {
      expect(parseToolCalls(answer, TOOLS), answer).toBeUndefined();
    }
  });
});
