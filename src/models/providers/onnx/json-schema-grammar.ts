/**
 * A JSON Schema read into the grammar constrained decoding follows (OpenAI's structured outputs,
 * forced tool calls). The subset is what answers are held to while they are written: types,
 * `properties`/`required`/`additionalProperties`, `items`, `minItems`/`maxItems`,
 * `minLength`/`maxLength`, `enum`/`const`, `anyOf`/`oneOf`, `allOf` of one schema, type lists,
 * `nullable`, and `$ref` into `$defs`/`definitions` (recursion included). Keywords that only
 * describe (`title`, `description`, `default`, …) are ignored; so are `format`, `pattern` and the
 * numeric bounds, which a prefix cannot be held to cheaply (the docs say so). Any other keyword
 * would be silently broken, so it is refused in one line.
 */
import { MmkitError } from '../../../errors.ts';
import { utf8ByteString } from './token-bytes.ts';

export type GrammarNode =
  | { readonly kind: 'any' }
  | ObjectNode
  | ArrayNode
  | StringNode
  | { readonly kind: 'number'; readonly integer: boolean }
  /** Exactly one of these JSON texts (enum, const, true/false/null; UTF-8 byte strings), written without white space. */
  | { readonly kind: 'literal'; readonly texts: readonly string[] }
  | { readonly kind: 'any-of'; readonly options: readonly GrammarNode[] }
  /** A `$ref`, resolved when first read so that schemas may refer to themselves. */
  | { readonly kind: 'reference'; readonly resolve: () => GrammarNode };

export interface ObjectNode {
  readonly kind: 'object';
  /** Declared properties by their key as written in JSON (escapes included; a UTF-8 byte string). */
  readonly properties: ReadonlyMap<string, GrammarNode>;
  readonly required: readonly string[];
  /** The schema of keys not declared; undefined: no other key may be written. */
  readonly additional: GrammarNode | undefined;
}

export interface ArrayNode {
  readonly kind: 'array';
  readonly items: GrammarNode;
  readonly minItems: number;
  readonly maxItems: number;
}

export interface StringNode {
  readonly kind: 'string';
  readonly minLength: number;
  readonly maxLength: number;
}

export const ANY: GrammarNode = { kind: 'any' };

/** JSON mode: any one object. */
export const ANY_OBJECT: ObjectNode = { kind: 'object', properties: new Map(), required: [], additional: ANY };

/** Keywords that describe and do not constrain, or constrain what we knowingly leave unchecked. */
const IGNORED = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'contentEncoding',
  'contentMediaType',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'strict',
  'discriminator',
]);

/** Keywords this file reads. */
const HANDLED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  'nullable',
  '$ref',
  '$defs',
  'definitions',
]);

/** Keywords that may stand beside `$ref`: the definitions it points into. */
const REFERENCE_KEYWORDS = new Set(['$ref', '$defs', 'definitions']);

const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type SchemaType = (typeof TYPES)[number];

type Schema = Record<string, unknown>;

/**
 * The grammar of `schema`; `param` names where the schema came from in errors
 * (`response_format`, `tools`).
 */
export function compileJsonSchema(schema: unknown, param: string): GrammarNode {
  return new SchemaCompiler(schema, param).compile(schema, '#');
}

class SchemaCompiler {
  private readonly references = new Map<string, GrammarNode>();

  constructor(
    private readonly root: unknown,
    private readonly param: string,
  ) {}

  compile(schema: unknown, path: string): GrammarNode {
    if (schema === true) return ANY;
    if (schema === false) this.refuse(path, 'the schema `false` allows no value');
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      this.refuse(path, 'a schema must be an object or a boolean');
    }
    const object = schema as Schema;
    for (const keyword of Object.keys(object)) {
      if (!HANDLED.has(keyword) && !IGNORED.has(keyword)) {
        this.refuse(path, `the keyword '${keyword}' is not supported in constrained decoding`);
      }
    }
    if (object.$ref !== undefined) {
      const beside = Object.keys(object).filter((keyword) => HANDLED.has(keyword) && !REFERENCE_KEYWORDS.has(keyword));
      if (beside.length > 0) this.refuse(path, `$ref beside ${beside.join(', ')} is not supported`);
      return this.reference(object.$ref, path);
    }
    if (object.allOf !== undefined) {
      if (!Array.isArray(object.allOf) || object.allOf.length !== 1) {
        this.refuse(`${path}/allOf`, 'allOf is supported with one schema only');
      }
      return this.compile(object.allOf[0], `${path}/allOf/0`);
    }
    const alternatives = object.anyOf ?? object.oneOf;
    if (alternatives !== undefined) {
      const keyword = object.anyOf === undefined ? 'oneOf' : 'anyOf';
      if (!Array.isArray(alternatives) || alternatives.length === 0) {
        this.refuse(`${path}/${keyword}`, `${keyword} must be a non-empty list of schemas`);
      }
      return anyOf(alternatives.map((option, index) => this.compile(option, `${path}/${keyword}/${index}`)));
    }
    if (object.const !== undefined) return { kind: 'literal', texts: [jsonBytes(object.const)] };
    if (object.enum !== undefined) {
      if (!Array.isArray(object.enum) || object.enum.length === 0) {
        this.refuse(`${path}/enum`, 'enum must be a non-empty list');
      }
      return { kind: 'literal', texts: object.enum.map(jsonBytes) };
    }
    const types = this.types(object, path);
    if (types === undefined) return ANY;
    return anyOf(types.map((type) => this.typed(type, object, path)));
  }

  /** The types the schema allows, undefined for any; from `type`, `nullable`, or the keywords present. */
  private types(object: Schema, path: string): SchemaType[] | undefined {
    let types: SchemaType[] | undefined;
    if (object.type !== undefined) {
      const listed = Array.isArray(object.type) ? object.type : [object.type];
      for (const type of listed) {
        if (!TYPES.includes(type as SchemaType)) this.refuse(`${path}/type`, `unknown type '${String(type)}'`);
      }
      types = listed as SchemaType[];
    } else if (object.properties !== undefined || object.additionalProperties !== undefined) {
      types = ['object'];
    } else if (object.items !== undefined) {
      types = ['array'];
    }
    if (types !== undefined && object.nullable === true && !types.includes('null')) types = [...types, 'null'];
    return types;
  }

  private typed(type: SchemaType, object: Schema, path: string): GrammarNode {
    switch (type) {
      case 'object':
        return this.object(object, path);
      case 'array':
        return {
          kind: 'array',
          items: object.items === undefined ? ANY : this.arrayItems(object.items, path),
          minItems: this.count(object, 'minItems', path, 0),
          maxItems: this.count(object, 'maxItems', path, Number.POSITIVE_INFINITY),
        };
      case 'string':
        return {
          kind: 'string',
          minLength: this.count(object, 'minLength', path, 0),
          maxLength: this.count(object, 'maxLength', path, Number.POSITIVE_INFINITY),
        };
      case 'number':
      case 'integer':
        return { kind: 'number', integer: type === 'integer' };
      case 'boolean':
        return { kind: 'literal', texts: ['true', 'false'] };
      case 'null':
        return { kind: 'literal', texts: ['null'] };
    }
  }

  private arrayItems(items: unknown, path: string): GrammarNode {
    if (Array.isArray(items)) this.refuse(`${path}/items`, 'items as a list (tuples) is not supported');
    return this.compile(items, `${path}/items`);
  }

  private object(object: Schema, path: string): ObjectNode {
    const declared = object.properties ?? {};
    if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
      this.refuse(`${path}/properties`, 'properties must be an object');
    }
    const properties = new Map<string, GrammarNode>();
    for (const [name, schema] of Object.entries(declared)) {
      properties.set(keyText(name), this.compile(schema, `${path}/properties/${name}`));
    }
    const extra = object.additionalProperties;
    // Declared properties and nothing said of others: others are left out, which the schema allows
    // and which keeps the model from inventing keys.
    const additional =
      extra === false || (extra === undefined && properties.size > 0)
        ? undefined
        : extra === undefined || extra === true
          ? ANY
          : this.compile(extra, `${path}/additionalProperties`);
    const required = object.required ?? [];
    if (!Array.isArray(required) || required.some((name) => typeof name !== 'string')) {
      this.refuse(`${path}/required`, 'required must be a list of property names');
    }
    const names = [...new Set(required as string[])];
    const missing = names.find((name) => !properties.has(keyText(name)) && additional === undefined);
    if (missing !== undefined) this.refuse(`${path}/required`, `required property '${missing}' is not allowed`);
    return { kind: 'object', properties, required: names.map(keyText), additional };
  }

  private count(object: Schema, keyword: string, path: string, fallback: number): number {
    const value = object[keyword];
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < 0) {
      this.refuse(`${path}/${keyword}`, `${keyword} must be a non-negative integer`);
    }
    return value as number;
  }

  private reference(reference: unknown, path: string): GrammarNode {
    if (typeof reference !== 'string' || !reference.startsWith('#')) {
      this.refuse(`${path}/$ref`, 'only references inside the schema (#/$defs/…) are supported');
    }
    const known = this.references.get(reference);
    if (known) return known;
    let resolved: GrammarNode | undefined;
    const node: GrammarNode = {
      kind: 'reference',
      resolve: () => {
        resolved ??= this.compile(this.pointer(reference, path), reference);
        return resolved;
      },
    };
    this.references.set(reference, node);
    // Compiled now so that a bad target is refused before generation starts.
    node.resolve();
    return node;
  }

  /** The schema a `#/…` JSON pointer names. */
  private pointer(reference: string, path: string): unknown {
    let target: unknown = this.root;
    const tokens = reference === '#' ? [] : reference.slice(2).split('/');
    if (reference !== '#' && !reference.startsWith('#/'))
      this.refuse(`${path}/$ref`, `unresolvable $ref '${reference}'`);
    for (const token of tokens) {
      const key = decodeURIComponent(token).replaceAll('~1', '/').replaceAll('~0', '~');
      if (typeof target !== 'object' || target === null || !(key in target)) {
        this.refuse(`${path}/$ref`, `unresolvable $ref '${reference}'`);
      }
      target = (target as Schema)[key];
    }
    return target;
  }

  private refuse(path: string, reason: string): never {
    throw new MmkitError(`${this.param}: unsupported JSON schema at ${path}: ${reason}`, {
      code: 'unsupported_json_schema',
      param: this.param,
    });
  }
}

function anyOf(options: GrammarNode[]): GrammarNode {
  return options.length === 1 ? options[0]! : { kind: 'any-of', options };
}

/** A property name as it appears between the quotes of a JSON key. */
function keyText(name: string): string {
  return jsonBytes(name).slice(1, -1);
}

/** A value's compact JSON text, as UTF-8 bytes. */
export function jsonBytes(value: unknown): string {
  return utf8ByteString(JSON.stringify(value));
}
