/**
 * Whether text so far can still become a JSON value (RFC 8259) that a grammar allows, read a
 * UTF-8 byte at a time (a "byte string": one character per byte, so tokens holding part of a
 * character fit): what constrained decoding asks of each candidate token. The grammar is any
 * one object for JSON mode, or a compiled JSON Schema. The parser's states are small immutable
 * records, so trying a token on a copy costs only the token's characters; `anyOf` keeps one state
 * per alternative until the text tells them apart.
 */
import {
  ANY,
  ANY_OBJECT,
  type ArrayNode,
  type GrammarNode,
  type ObjectNode,
  type StringNode,
} from './json-schema-grammar.ts';

interface ObjectContainer {
  readonly kind: 'object';
  readonly node: ObjectNode;
  /** Keys written so far, as written. */
  readonly keys: readonly string[];
  readonly parent: Container | undefined;
}

interface ArrayContainer {
  readonly kind: 'array';
  readonly node: ArrayNode;
  /** Items begun so far. */
  readonly count: number;
  readonly parent: Container | undefined;
}

type Container = ObjectContainer | ArrayContainer;

/** Where a number is: after `-`, after a leading 0, in the integer, after `.`, in the fraction, after `e`, after its sign, in the exponent. */
type NumberPart = 'sign' | 'zero' | 'integer' | 'point' | 'fraction' | 'e' | 'e-sign' | 'exponent';

/**
 * Inside a string, what the next byte must continue: nothing (a character may begin), an escape
 * (just after `\`, or hex digits of `\u` left), or a UTF-8 character (continuation bytes left, and
 * the range the next one must be in, which rules out overlong forms and surrogates).
 */
type Pending =
  | undefined
  | { readonly kind: 'backslash' }
  | { readonly kind: 'hex'; readonly left: number }
  | { readonly kind: 'utf8'; readonly left: number; readonly low: string; readonly high: string };

type State =
  /** White space, then a value of `node` (never `any-of`, `any` or a reference: those are expanded). */
  | { readonly at: 'value'; readonly node: GrammarNode; readonly parent: Container | undefined }
  | {
      readonly at: 'string';
      readonly node: StringNode;
      /** Characters (code points) so far. */
      readonly length: number;
      readonly pending: Pending;
      readonly parent: Container | undefined;
    }
  | {
      readonly at: 'number';
      readonly integer: boolean;
      readonly part: NumberPart;
      readonly parent: Container | undefined;
    }
  | {
      readonly at: 'literal';
      /** The texts the value may still become. */
      readonly texts: readonly string[];
      readonly typed: string;
      readonly parent: Container | undefined;
    }
  | { readonly at: 'after-value'; readonly parent: Container | undefined }
  /** Before a key's opening quote; `first`: just after `{`, where `}` may close. */
  | { readonly at: 'key'; readonly object: ObjectContainer; readonly first: boolean }
  | { readonly at: 'key-text'; readonly object: ObjectContainer; readonly typed: string; readonly pending: Pending }
  | { readonly at: 'colon'; readonly object: ObjectContainer; readonly node: GrammarNode }
  /** Just after `[`: an item or `]`. */
  | { readonly at: 'first-item'; readonly array: ArrayContainer };

const WHITE_SPACE = new Set([' ', '\t', '\n', '\r']);
const isDigit = (character: string) => character >= '0' && character <= '9';
const isHex = (character: string) => /^[0-9a-fA-F]$/.test(character);
/** Number parts after which the number may end. */
const NUMBER_ENDS: ReadonlySet<NumberPart> = new Set(['zero', 'integer', 'fraction', 'exponent']);
/** Alternatives followed at once; a schema that needs more is cut to these (still only valid text). */
const MAX_STATES = 256;

/** What `any` may be. */
const ANY_VALUES: readonly GrammarNode[] = [
  ANY_OBJECT,
  { kind: 'array', items: ANY, minItems: 0, maxItems: Number.POSITIVE_INFINITY },
  { kind: 'string', minLength: 0, maxLength: Number.POSITIVE_INFINITY },
  { kind: 'number', integer: false },
  { kind: 'literal', texts: ['true', 'false', 'null'] },
];

export class JsonPrefix {
  private states: readonly State[];
  private charactersRead = 0;

  /** @param grammar what the whole text must be: by default any one object (JSON mode). */
  constructor(grammar: GrammarNode = ANY_OBJECT) {
    this.states = valueStates(grammar, undefined);
  }

  /** The text so far is a whole value: the answer may end here. */
  get complete(): boolean {
    return this.states.some(canEnd);
  }

  /** The value has closed: only white space may follow. */
  get closed(): boolean {
    return this.states.every((state) => state.at === 'after-value' && state.parent === undefined);
  }

  /** Nothing read yet. */
  get atStart(): boolean {
    return this.charactersRead === 0;
  }

  /** Whether the text is inside a string or a literal, where white space is content. */
  get inString(): boolean {
    return this.states.some((state) => state.at === 'string' || state.at === 'key-text' || state.at === 'literal');
  }

  copy(): JsonPrefix {
    const copy = Object.create(JsonPrefix.prototype) as JsonPrefix;
    copy.states = this.states;
    copy.charactersRead = this.charactersRead;
    return copy;
  }

  /** Reads `bytes` (a byte string); false (and a state not to use any more) as soon as the grammar cannot continue. */
  push(bytes: string): boolean {
    for (const character of bytes) {
      const next: State[] = [];
      for (const state of this.states) {
        for (const successor of step(state, character)) if (next.length < MAX_STATES) next.push(successor);
      }
      this.states = next;
      this.charactersRead++;
      if (next.length === 0) return false;
    }
    return true;
  }
}

function canEnd(state: State): boolean {
  switch (state.at) {
    case 'after-value':
      return state.parent === undefined;
    case 'number':
      return state.parent === undefined && NUMBER_ENDS.has(state.part);
    case 'literal':
      return state.parent === undefined && state.texts.includes(state.typed);
    default:
      return false;
  }
}

/** The states that await a value of `node`, one per alternative. */
function valueStates(node: GrammarNode, parent: Container | undefined, expanding = new Set<GrammarNode>()): State[] {
  // A reference or anyOf that reaches itself without reading a character adds nothing new.
  if (expanding.has(node)) return [];
  switch (node.kind) {
    case 'any':
      return ANY_VALUES.flatMap((value) => valueStates(value, parent));
    case 'any-of': {
      const inner = new Set(expanding).add(node);
      return node.options.flatMap((option) => valueStates(option, parent, inner));
    }
    case 'reference':
      return valueStates(node.resolve(), parent, new Set(expanding).add(node));
    default:
      return [{ at: 'value', node, parent }];
  }
}

function step(state: State, character: string): State[] {
  switch (state.at) {
    case 'string':
      return stringStep(state, character);
    case 'number':
      return numberStep(state, character);
    case 'literal':
      return literalStep(state, character);
    case 'key-text':
      return keyStep(state, character);
  }
  if (WHITE_SPACE.has(character)) return [state];
  switch (state.at) {
    case 'value':
      return startValue(state.node, state.parent, character);
    case 'after-value':
      return afterValue(state.parent, character);
    case 'key':
      if (character === '}' && state.first) return closeObject(state.object);
      if (character !== '"' || !mayAddKey(state.object)) return [];
      return [{ at: 'key-text', object: state.object, typed: '', pending: undefined }];
    case 'colon':
      return character === ':' ? valueStates(state.node, state.object) : [];
    case 'first-item': {
      const { array } = state;
      if (character === ']') return array.node.minItems === 0 ? [{ at: 'after-value', parent: array.parent }] : [];
      if (array.node.maxItems < 1) return [];
      return valueStates(array.node.items, { ...array, count: 1 }).flatMap((item) => step(item, character));
    }
  }
}

function startValue(node: GrammarNode, parent: Container | undefined, character: string): State[] {
  switch (node.kind) {
    case 'object':
      return character === '{' ? [{ at: 'key', object: { kind: 'object', node, keys: [], parent }, first: true }] : [];
    case 'array':
      return character === '[' ? [{ at: 'first-item', array: { kind: 'array', node, count: 0, parent } }] : [];
    case 'string':
      return character === '"' ? [{ at: 'string', node, length: 0, pending: undefined, parent }] : [];
    case 'number': {
      if (character !== '-' && !isDigit(character)) return [];
      const part: NumberPart = character === '-' ? 'sign' : character === '0' ? 'zero' : 'integer';
      return [{ at: 'number', integer: node.integer, part, parent }];
    }
    case 'literal': {
      const texts = node.texts.filter((text) => text.startsWith(character));
      return texts.length > 0 ? [{ at: 'literal', texts, typed: character, parent }] : [];
    }
    default:
      return [];
  }
}

function afterValue(parent: Container | undefined, character: string): State[] {
  if (parent === undefined) return [];
  if (parent.kind === 'object') {
    if (character === '}') return closeObject(parent);
    return character === ',' && mayAddKey(parent) ? [{ at: 'key', object: parent, first: false }] : [];
  }
  if (character === ']')
    return parent.count >= parent.node.minItems ? [{ at: 'after-value', parent: parent.parent }] : [];
  if (character !== ',' || parent.count >= parent.node.maxItems) return [];
  return valueStates(parent.node.items, { ...parent, count: parent.count + 1 });
}

function closeObject(object: ObjectContainer): State[] {
  const complete = object.node.required.every((key) => object.keys.includes(key));
  return complete ? [{ at: 'after-value', parent: object.parent }] : [];
}

function remainingKeys(object: ObjectContainer): string[] {
  return [...object.node.properties.keys()].filter((key) => !object.keys.includes(key));
}

function mayAddKey(object: ObjectContainer): boolean {
  return object.node.additional !== undefined || remainingKeys(object).length > 0;
}

/** One byte of a string's content: escapes and UTF-8 checked, control characters refused. */
function stringByte(pending: Pending, byte: string): { pending: Pending; counts: boolean } | undefined {
  if (pending?.kind === 'backslash') {
    if (byte === 'u') return { pending: { kind: 'hex', left: 4 }, counts: false };
    return '"\\/bfnrt'.includes(byte) ? { pending: undefined, counts: false } : undefined;
  }
  if (pending?.kind === 'hex') {
    if (!isHex(byte)) return undefined;
    return { pending: pending.left > 1 ? { kind: 'hex', left: pending.left - 1 } : undefined, counts: false };
  }
  if (pending?.kind === 'utf8') {
    if (byte < pending.low || byte > pending.high) return undefined;
    const left = pending.left - 1;
    return { pending: left > 0 ? { kind: 'utf8', left, low: '\x80', high: '\xbf' } : undefined, counts: false };
  }
  if (byte < ' ') return undefined;
  // An escape or a UTF-8 character counts as one character, at its first byte.
  if (byte === '\\') return { pending: { kind: 'backslash' }, counts: true };
  if (byte < '\x80') return { pending: undefined, counts: true };
  const character = utf8Start(byte);
  return character && { pending: { kind: 'utf8', ...character }, counts: true };
}

/** What follows a UTF-8 lead byte: how many continuation bytes, and the range of the first (RFC 3629). */
function utf8Start(byte: string): { left: number; low: string; high: string } | undefined {
  const code = byte.charCodeAt(0);
  const range = (low: number, high: number) => ({ low: String.fromCharCode(low), high: String.fromCharCode(high) });
  if (code >= 0xc2 && code <= 0xdf) return { left: 1, ...range(0x80, 0xbf) };
  if (code === 0xe0) return { left: 2, ...range(0xa0, 0xbf) };
  if (code === 0xed) return { left: 2, ...range(0x80, 0x9f) };
  if (code >= 0xe1 && code <= 0xef) return { left: 2, ...range(0x80, 0xbf) };
  if (code === 0xf0) return { left: 3, ...range(0x90, 0xbf) };
  if (code === 0xf4) return { left: 3, ...range(0x80, 0x8f) };
  if (code >= 0xf1 && code <= 0xf3) return { left: 3, ...range(0x80, 0xbf) };
  return undefined;
}

function stringStep(state: Extract<State, { at: 'string' }>, character: string): State[] {
  if (character === '"' && state.pending === undefined) {
    return state.length >= state.node.minLength ? [{ at: 'after-value', parent: state.parent }] : [];
  }
  const read = stringByte(state.pending, character);
  if (!read) return [];
  const length = state.length + (read.counts ? 1 : 0);
  return length > state.node.maxLength ? [] : [{ ...state, pending: read.pending, length }];
}

function keyStep(state: Extract<State, { at: 'key-text' }>, character: string): State[] {
  const { object, typed } = state;
  if (character === '"' && state.pending === undefined) {
    if (object.keys.includes(typed)) return [];
    const node = object.node.properties.get(typed) ?? object.node.additional;
    if (!node) return [];
    return [{ at: 'colon', object: { ...object, keys: [...object.keys, typed] }, node }];
  }
  const read = stringByte(state.pending, character);
  if (!read) return [];
  const next = typed + character;
  // Only declared keys: the text must stay the start of one not yet written.
  if (object.node.additional === undefined && !remainingKeys(object).some((key) => key.startsWith(next))) return [];
  return [{ ...state, typed: next, pending: read.pending }];
}

function numberStep(state: Extract<State, { at: 'number' }>, character: string): State[] {
  const part = nextNumberPart(state.part, character, state.integer);
  if (part) return [{ ...state, part }];
  if (!NUMBER_ENDS.has(state.part)) return [];
  return step({ at: 'after-value', parent: state.parent }, character);
}

function nextNumberPart(part: NumberPart, character: string, integer: boolean): NumberPart | undefined {
  if (isDigit(character)) {
    if (part === 'zero') return undefined;
    if (part === 'sign') return character === '0' ? 'zero' : 'integer';
    if (part === 'point') return 'fraction';
    if (part === 'e' || part === 'e-sign') return 'exponent';
    return part;
  }
  if (integer) return undefined;
  if (character === '.' && (part === 'zero' || part === 'integer')) return 'point';
  if ((character === 'e' || character === 'E') && (part === 'zero' || part === 'integer' || part === 'fraction')) {
    return 'e';
  }
  if ((character === '+' || character === '-') && part === 'e') return 'e-sign';
  return undefined;
}

function literalStep(state: Extract<State, { at: 'literal' }>, character: string): State[] {
  const typed = state.typed + character;
  const texts = state.texts.filter((text) => text.startsWith(typed));
  const continued: State[] = texts.length > 0 ? [{ ...state, texts, typed }] : [];
  // A whole literal ends where a character cannot continue it (numbers have no closing mark).
  if (!state.texts.includes(state.typed)) return continued;
  return [...continued, ...step({ at: 'after-value', parent: state.parent }, character)];
}
