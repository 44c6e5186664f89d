import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileJsonSchema } from './json-schema-grammar.ts';

const compile = (schema: unknown) => compileJsonSchema(schema, 'response_format');

describe('compileJsonSchema', () => {
  it('reads the schemas zod and Pydantic write', () => {
    const zodSchema = z.toJSONSchema(
      z.object({
        city: z.string().min(1).max(40),
        email: z.email().optional(),
        temperature: z.number(),
        days: z.array(z.int().min(0)).max(7),
        unit: z.enum(['celsius', 'fahrenheit']),
        note: z.string().nullable(),
      }),
    );
    expect(compile(zodSchema)).toMatchObject({
      kind: 'object',
      required: ['city', 'temperature', 'days', 'unit', 'note'],
    });
    const pydantic = {
      $defs: { Unit: { enum: ['c', 'f'], title: 'Unit', type: 'string' } },
      properties: {
        city: { title: 'City', type: 'string' },
        unit: { $ref: '#/$defs/Unit' },
        note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Note' },
      },
      required: ['city', 'unit'],
      title: 'Weather',
      type: 'object',
    };
    const node = compile(pydantic);
    expect(node.kind).toBe('object');
    if (node.kind !== 'object') return;
    expect([...node.properties.keys()]).toEqual(['city', 'unit', 'note']);
    expect(node.additional).toBeUndefined();
    expect(node.properties.get('note')).toMatchObject({ kind: 'any-of' });
  });

  it('refuses in one line what it would not hold the answer to', () => {
    const cases: [unknown, string][] = [
      [{ type: 'object', not: { required: ['a'] } }, "at #: the keyword 'not' is not supported"],
      [{ if: { type: 'string' }, else: { minLength: 2 } }, "the keyword 'if' is not supported"],
      [{ type: 'object', patternProperties: { '^x': {} } }, "'patternProperties' is not supported"],
      [{ type: 'array', items: [{ type: 'string' }] }, 'at #/items: items as a list (tuples) is not supported'],
      [{ $ref: 'https://example.com/schema.json' }, 'only references inside the schema'],
      [{ $ref: '#/$defs/missing' }, "unresolvable $ref '#/$defs/missing'"],
      [false, 'allows no value'],
      [{ type: 'date' }, "unknown type 'date'"],
      [
        { type: 'object', properties: {}, additionalProperties: false, required: ['a'] },
        "required property 'a' is not allowed",
      ],
      [{ allOf: [{ type: 'string' }, { maxLength: 3 }] }, 'allOf is supported with one schema only'],
      [{ type: 'string', maxLength: -1 }, 'maxLength must be a non-negative integer'],
      [{ $ref: '#/$defs/a', type: 'string', $defs: { a: {} } }, '$ref beside type is not supported'],
      ['string', 'a schema must be an object or a boolean'],
    ];
    for (const [schema, message] of cases) {
      expect(() => compile(schema), JSON.stringify(schema)).toThrow(message);
      try {
        compile(schema);
      } catch (error) {
        expect(error).toMatchObject({ code: 'unsupported_json_schema', param: 'response_format', status: 400 });
      }
    }
  });

  it('follows references lazily, so a schema may contain itself', () => {
    const tree = {
      $ref: '#/$defs/node',
      $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } },
    };
    const node = compile(tree);
    expect(node.kind).toBe('reference');
    if (node.kind === 'reference') expect(node.resolve().kind).toBe('object');
  });
});
