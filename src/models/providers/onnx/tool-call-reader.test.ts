import { describe, expect, it } from 'vitest';
import { type CallReading, ToolCallReader } from './tool-call-reader.ts';

const OFFERED = new Set(['get_weather']);

/** Feeds `text` a character at a time, as a model writes; returns the reader and what it read. */
function readByCharacter(text: string): { reader: ToolCallReader; name: string | undefined; arguments: string } {
  const reader = new ToolCallReader(OFFERED);
  const readings: CallReading[] = [];
  for (let end = 1; end <= text.length; end++) readings.push(...reader.read(text.slice(0, end)));
  const names = readings.flatMap((reading) => (reading.type === 'name' ? [reading.name] : []));
  expect(names.length).toBeLessThanOrEqual(1);
  const args = readings.flatMap((reading) => (reading.type === 'arguments' ? [reading.text] : []));
  return { reader, name: names[0], arguments: args.join('') };
}

describe('ToolCallReader', () => {
  it('names the call once its arguments open, then gives their text exactly as written', () => {
    const call = '{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, {"a": "}"}]}}';
    const { reader, name, arguments: args } = readByCharacter(call);
    expect(name).toBe('get_weather');
    expect(args).toBe('{"city": "Paris", "days": [1, {"a": "}"}]}');
    expect(reader.done).toBe(true);
    expect(call.slice(reader.end)).toBe('}');
  });

  it('takes parameters (Llama 3.x) and white space anywhere, and strings with escapes', () => {
    const call = '\n{ "name" : "get_weather" ,\n "parameters" : {"note": "say \\"hi\\" {"} }';
    const { name, arguments: args, reader } = readByCharacter(call);
    expect(name).toBe('get_weather');
    expect(args).toBe('{"note": "say \\"hi\\" {"}');
    expect(JSON.parse(args)).toEqual({ note: 'say "hi" {' });
    expect(reader.done).toBe(true);
  });

  it('gives up on calls in another order or shape, and on tools not offered, naming nothing', () => {
    for (const call of [
      '{"arguments": {"city": "Paris"}, "name": "get_weather"}',
      '{"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}',
      '{"type": "function", "name": "get_weather", "arguments": {}}',
      '{"name": "launch_rocket", "arguments": {}}',
      '{"answer": 42}',
      '["get_weather"]',
    ]) {
      const { reader, name, arguments: args } = readByCharacter(call);
      expect(reader.failed, call).toBe(true);
      expect(name).toBeUndefined();
      expect(args).toBe('');
    }
  });

  it('waits for a name that is still being written', () => {
    const reader = new ToolCallReader(OFFERED);
    expect(reader.read('{"name": "get_wea')).toEqual([]);
    expect(reader.failed).toBe(false);
    expect(reader.read('{"name": "get_weather", "arguments": {"c')).toEqual([
      { type: 'name', name: 'get_weather' },
      { type: 'arguments', text: '{"c' },
    ]);
    expect(reader.read('{"name": "get_weather", "arguments": {"city": 1}')).toEqual([
      { type: 'arguments', text: 'ity": 1}' },
    ]);
    expect(reader.done).toBe(true);
  });
});
