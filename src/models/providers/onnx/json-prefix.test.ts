import { describe, expect, it } from 'vitest';
import { JsonPrefix } from './json-prefix.ts';
import { compileJsonSchema, type GrammarNode } from './json-schema-grammar.ts';
import { utf8ByteString } from './token-bytes.ts';

function read(text: string): { accepted: boolean; complete: boolean } {
  const prefix = new JsonPrefix();
  const accepted = prefix.push(utf8ByteString(text));
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
      const characters = [...utf8ByteString(document)];
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

describe('JsonPrefix with a JSON Schema', () => {
  const weather = compileJsonSchema(
    {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1, maxLength: 8 },
        days: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 3 },
        unit: { enum: ['celsius', 'fahrenheit'] },
        note: { type: ['string', 'null'] },
        exact: { const: 1.5 },
      },
      required: ['city', 'days', 'unit'],
      additionalProperties: false,
    },
    'response_format',
  );

  function check(grammar: GrammarNode, text: string): { accepted: boolean; complete: boolean } {
    const prefix = new JsonPrefix(grammar);
    const accepted = prefix.push(utf8ByteString(text));
    return { accepted, complete: accepted && prefix.complete };
  }

  it('accepts every prefix of an answer that matches, in any key order and spacing', () => {
    for (const document of [
      '{"city":"Paris","days":[1,2],"unit":"celsius"}',
      '{ "unit" : "fahrenheit", "note": null, "days": [ -3 ], "city": "上海", "exact": 1.5 }',
      JSON.stringify({ days: [0, 10, 200], city: 'a\\"b', unit: 'celsius', note: 'café \n ok' }, null, 2),
    ]) {
      const prefix = new JsonPrefix(weather);
      const characters = [...utf8ByteString(document)];
      for (const [index, character] of characters.entries()) {
        expect(prefix.push(character), `${document} at ${index}`).toBe(true);
        if (index < characters.length - 1) expect(prefix.complete, `${document} at ${index}`).toBe(false);
      }
      expect(prefix.complete, document).toBe(true);
      expect(prefix.closed).toBe(true);
    }
  });

  it('refuses an answer the moment it leaves the schema', () => {
    const refused: [string, string][] = [
      ['{"town', 'an undeclared key'],
      ['{"city":"a","city', 'a key written twice'],
      ['{"city":1', 'a number for a string'],
      ['{"city":""}', 'a string under minLength'],
      ['{"city":"123456789', 'a string over maxLength'],
      ['{"city":"a","days":[1.5', 'a fraction for an integer'],
      ['{"city":"a","days":[]', 'an array under minItems'],
      ['{"city":"a","days":[1,2,3,4', 'an array over maxItems'],
      ['{"city":"a","days":[1],"unit":"kelvin', 'a value outside the enum'],
      ['{"city":"a","days":[1],"unit":"celsius","exact":1.25', 'a value other than the const'],
      ['{"city":"a","days":[1],"unit":"celsius","note":true', 'a boolean where string or null is allowed'],
      ['{"city":"a","days":[1]}', 'a closing brace before the required unit'],
      ['[', 'an array where an object is asked'],
    ];
    for (const [text, why] of refused) expect(check(weather, text), why).toEqual({ accepted: false, complete: false });
    // Nothing may come after the last declared key is used.
    const all = '{"city":"a","days":[1],"unit":"celsius","note":null,"exact":1.5';
    expect(check(weather, all).accepted).toBe(true);
    expect(check(weather, `${all},`).accepted).toBe(false);
  });

  it('lets extra keys through only where additionalProperties allows them, held to its schema', () => {
    const counts = compileJsonSchema({ type: 'object', additionalProperties: { type: 'integer' } }, 'x');
    expect(check(counts, '{"apples":3,"pears":0}').complete).toBe(true);
    expect(check(counts, '{"apples":"3"').accepted).toBe(false);
    expect(check(counts, '{"a":1,"a"').accepted).toBe(false);
    const open = compileJsonSchema(
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true },
      'x',
    );
    expect(check(open, '{"b":[{"c":null}],"a":"x"}').complete).toBe(true);
  });

  it('follows recursive references and anyOf alternatives until the text tells them apart', () => {
    const tree = compileJsonSchema(
      {
        $ref: '#/$defs/node',
        $defs: {
          node: {
            type: 'object',
            properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
            required: ['value'],
          },
        },
      },
      'x',
    );
    expect(check(tree, '{"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]}').complete).toBe(
      true,
    );
    expect(check(tree, '{"value":1,"children":[{"children":[]}]}').accepted).toBe(false);
    const shapes = compileJsonSchema(
      {
        anyOf: [
          {
            type: 'object',
            properties: { kind: { const: 'circle' }, radius: { type: 'number' } },
            required: ['kind', 'radius'],
          },
          {
            type: 'object',
            properties: { kind: { const: 'square' }, side: { type: 'number' } },
            required: ['kind', 'side'],
          },
        ],
      },
      'x',
    );
    expect(check(shapes, '{"kind":"square","side":2}').complete).toBe(true);
    expect(check(shapes, '{"kind":"circle","radius":1}').complete).toBe(true);
    expect(check(shapes, '{"kind":"circle","side"').accepted).toBe(false);
  });

  it('reads UTF-8 bytes: keys and enum values in any script, lengths in characters', () => {
    const city = compileJsonSchema(
      { type: 'object', properties: { 城市: { enum: ['北京', '上海'] }, 备注: { type: 'string', maxLength: 2 } } },
      'x',
    );
    const prefix = new JsonPrefix(city);
    // One byte at a time, as byte-level tokens split the characters.
    for (const byte of utf8ByteString('{"城市": "上海", "备注": "好的"}')) expect(prefix.push(byte)).toBe(true);
    expect(prefix.complete).toBe(true);
    expect(check(city, '{"城市": "广州"').accepted).toBe(false);
    expect(check(city, '{"城区"').accepted).toBe(false);
    expect(check(city, '{"备注": "好的呀"').accepted).toBe(false);
    expect(check(city, '{"备注": "\\u597d🙂"}').complete).toBe(true);
  });

  it('keeps strings valid UTF-8: no stray, cut, overlong or surrogate bytes', () => {
    const text = (bytes: string) => {
      const prefix = new JsonPrefix(compileJsonSchema({ type: 'string' }, 'x'));
      if (!prefix.push(bytes)) return 'refused';
      return prefix.complete ? 'whole' : 'open';
    };
    expect(text(utf8ByteString('"上海 🙂 é"'))).toBe('whole');
    expect(text('"\x80')).toBe('refused'); // a continuation byte with no lead
    expect(text('"\xe4\xb8"')).toBe('refused'); // a character cut short
    expect(text('"\xe4\xb8')).toBe('open');
    expect(text('"\xc0\x80')).toBe('refused'); // overlong NUL
    expect(text('"\xe0\x80\x80')).toBe('refused'); // overlong
    expect(text('"\xed\xa0\x80')).toBe('refused'); // a UTF-16 surrogate
    expect(text('"\xf4\x90\x80\x80')).toBe('refused'); // beyond U+10FFFF
    expect(text('"\xff')).toBe('refused');
  });

  it('takes any value at the top, and ends a bare number only where it may end', () => {
    const integer = compileJsonSchema({ type: 'integer' }, 'x');
    const prefix = new JsonPrefix(integer);
    expect(prefix.push('4')).toBe(true);
    expect(prefix.complete).toBe(true);
    expect(prefix.closed).toBe(false);
    expect(prefix.push('2')).toBe(true);
    expect(check(integer, '-').complete).toBe(false);
    expect(check(compileJsonSchema({ enum: [1, 10, 'x'] }, 'x'), '10').complete).toBe(true);
    expect(check(compileJsonSchema({ enum: [1, 10, 'x'] }, 'x'), '1').complete).toBe(true);
    expect(check(compileJsonSchema(true, 'x'), '["any", {"thing": [true]}]').complete).toBe(true);
    expect(check(compileJsonSchema({}, 'x'), '"text"').complete).toBe(true);
  });
});
