import { describe, expect, it } from 'vitest';
import { JsonPrefix } from './json-prefix.ts';

function read(text: string): { accepted: boolean; complete: boolean } {
  const prefix = new JsonPrefix();
  const accepted = prefix.push(text);
  return { accepted, complete: accepted && prefix.complete };
}

const isObject = (text: string) => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

describe('JsonPrefix', () => {
  it('accepts every prefix of a JSON object and calls only the whole of it complete', () => {
    const documents = [
      '{}',
      ' { "a" : 1 } ',
      '{"phone":"iPhone 15","os":{"name":"iOS","version":17.4},"tags":["a",true,false,null,-0.5e+3,[]],"n":0}',
      '{"escaped":"quote \\" slash \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 中文 🙂"}',
      JSON.stringify({ nested: [{ deep: [[{ x: -12.75e-2 }]] }], empty: {}, text: 'a\nb' }, null, 2),
    ];
    for (const document of documents) {
      const prefix = new JsonPrefix();
      const characters = [...document];
      for (const [index, character] of characters.entries()) {
        expect(prefix.push(character), `${document} at ${index}`).toBe(true);
        const rest = characters.slice(index + 1).join('');
        if (rest.trim() !== '') expect(prefix.complete, `${document} at ${index}`).toBe(false);
      }
      expect(prefix.complete).toBe(true);
      expect(isObject(document)).toBe(true);
    }
  });

  it('refuses what no JSON object can continue', () => {
    for (const text of [
      'hello',
      '[1]',
      '"text"',
      '{a',
      '{"a" 1',
      '{"a":}',
      '{"a":1,}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":tru ',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":"line\nbreak"}',
      '{"a":[1,]}',
      '{"a":[1}',
      '{} {}',
      '{}x',
    ]) {
      expect(read(text), text).toMatchObject({ complete: false });
      if (!['{"a":1.}', '{"a":-}', '{"a":1e}'].includes(text)) expect(read(text).accepted, text).toBe(false);
    }
  });

  it('agrees with JSON.parse on random text built from JSON characters', () => {
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      ' ',
      '1',
      '0',
      '-',
      '.',
      'e',
      'a',
      '\\',
      'n',
      'u',
      'l',
      't',
      'r',
    ];
    let state = 7;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    let completeSeen = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      const length = 2 + Math.floor(random() * 10);
      let text = '{';
      for (let index = 1; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)];
      if (random() < 0.5) text += '}';
      const { complete } = read(text);
      expect(complete, text).toBe(isObject(text));
      if (complete) completeSeen++;
    }
    expect(completeSeen).toBeGreaterThan(50);
  });

  it('copies cheaply: a copy moves on while the original stays put', () => {
    const prefix = new JsonPrefix();
    prefix.push('{"a":');
    const copy = prefix.copy();
    expect(copy.push('[1]}')).toBe(true);
    expect(copy.complete).toBe(true);
    expect(prefix.complete).toBe(false);
    expect(prefix.push('"x"}')).toBe(true);
    expect(prefix.complete).toBe(true);
    expect(new JsonPrefix().copy().push('{')).toBe(true);
  });

  it('says when the text is inside a string', () => {
    const prefix = new JsonPrefix();
    prefix.push('{"key":"val');
    expect(prefix.inString).toBe(true);
    prefix.push('ue"');
    expect(prefix.inString).toBe(false);
  });
});
