/**
 * Whether text so far can still become one JSON object (RFC 8259), read a character at a time:
 * what JSON mode asks of each candidate token. The state is a few fields and an immutable stack
 * string, so trying a token on a copy costs only the token's characters.
 */

type Mode =
  | 'start' // before the top-level object
  | 'value' // a value must come
  | 'value-or-close' // just after `[`
  | 'key' // a key must come (after `,` in an object)
  | 'key-or-close' // just after `{`
  | 'colon'
  | 'after-value' // `,`, a closing bracket, or (at the top) only white space
  | 'string'
  | 'escape'
  | 'unicode'
  | 'number'
  | 'literal';

/** Where a number is: after `-`, after a leading 0, in the integer, after `.`, in the fraction, after `e`, after its sign, in the exponent. */
type NumberPart = 'sign' | 'zero' | 'integer' | 'point' | 'fraction' | 'e' | 'e-sign' | 'exponent';

const WHITE_SPACE = new Set([' ', '\t', '\n', '\r']);
const isDigit = (character: string) => character >= '0' && character <= '9';
const isHex = (character: string) => /^[0-9a-fA-F]$/.test(character);
/** Number parts after which the number may end. */
const NUMBER_ENDS: ReadonlySet<NumberPart> = new Set(['zero', 'integer', 'fraction', 'exponent']);

export class JsonPrefix {
  private mode: Mode = 'start';
  /** Open containers, innermost last: `{` or `[`. */
  private stack = '';
  private stringIsKey = false;
  private hexLeft = 0;
  private numberPart: NumberPart = 'integer';
  private literalLeft = '';

  /** The top-level object is closed (only white space may follow). */
  get complete(): boolean {
    return this.mode === 'after-value' && this.stack === '';
  }

  /** Nothing but white space read yet. */
  get atStart(): boolean {
    return this.mode === 'start';
  }

  /** Whether the text is still inside a string (where any character but controls is allowed). */
  get inString(): boolean {
    return this.mode === 'string' || this.mode === 'escape' || this.mode === 'unicode';
  }

  copy(): JsonPrefix {
    const copy = new JsonPrefix();
    copy.mode = this.mode;
    copy.stack = this.stack;
    copy.stringIsKey = this.stringIsKey;
    copy.hexLeft = this.hexLeft;
    copy.numberPart = this.numberPart;
    copy.literalLeft = this.literalLeft;
    return copy;
  }

  /** Reads `text`; false (and a state not to use any more) as soon as it cannot continue a JSON object. */
  push(text: string): boolean {
    for (const character of text) if (!this.pushCharacter(character)) return false;
    return true;
  }

  private pushCharacter(character: string): boolean {
    switch (this.mode) {
      case 'string':
        if (character === '"') return this.endValue(this.stringIsKey);
        if (character === '\\') this.mode = 'escape';
        return character >= ' ';
      case 'escape':
        if (character === 'u') {
          this.mode = 'unicode';
          this.hexLeft = 4;
          return true;
        }
        this.mode = 'string';
        return '"\\/bfnrt'.includes(character);
      case 'unicode':
        if (!isHex(character)) return false;
        if (--this.hexLeft === 0) this.mode = 'string';
        return true;
      case 'number':
        if (this.pushNumber(character)) return true;
        if (!NUMBER_ENDS.has(this.numberPart)) return false;
        this.mode = 'after-value';
        return this.pushCharacter(character);
      case 'literal':
        if (character !== this.literalLeft[0]) return false;
        this.literalLeft = this.literalLeft.slice(1);
        if (this.literalLeft === '') this.mode = 'after-value';
        return true;
    }
    if (WHITE_SPACE.has(character)) return true;
    switch (this.mode) {
      case 'start':
        if (character !== '{') return false;
        this.stack = '{';
        this.mode = 'key-or-close';
        return true;
      case 'key-or-close':
      case 'key':
        if (character === '}' && this.mode === 'key-or-close') return this.close('{');
        if (character !== '"') return false;
        this.mode = 'string';
        this.stringIsKey = true;
        return true;
      case 'colon':
        if (character !== ':') return false;
        this.mode = 'value';
        return true;
      case 'value-or-close':
        if (character === ']') return this.close('[');
        return this.startValue(character);
      case 'value':
        return this.startValue(character);
      case 'after-value': {
        const open = this.stack.at(-1);
        if (open === undefined) return false;
        if (character === ',') {
          this.mode = open === '{' ? 'key' : 'value';
          return true;
        }
        return character === (open === '{' ? '}' : ']') && this.close(open);
      }
      default:
        return false;
    }
  }

  private startValue(character: string): boolean {
    if (character === '{' || character === '[') {
      this.stack += character;
      this.mode = character === '{' ? 'key-or-close' : 'value-or-close';
      return true;
    }
    if (character === '"') {
      this.mode = 'string';
      this.stringIsKey = false;
      return true;
    }
    if (character === '-' || isDigit(character)) {
      this.mode = 'number';
      this.numberPart = character === '-' ? 'sign' : character === '0' ? 'zero' : 'integer';
      return true;
    }
    const literal = ['true', 'false', 'null'].find((word) => word[0] === character);
    if (!literal) return false;
    this.mode = 'literal';
    this.literalLeft = literal.slice(1);
    return true;
  }

  private pushNumber(character: string): boolean {
    const part = this.numberPart;
    if (isDigit(character)) {
      if (part === 'zero') return false;
      this.numberPart =
        part === 'sign'
          ? character === '0'
            ? 'zero'
            : 'integer'
          : part === 'point'
            ? 'fraction'
            : part === 'e' || part === 'e-sign'
              ? 'exponent'
              : part;
      return true;
    }
    if (character === '.' && (part === 'zero' || part === 'integer')) {
      this.numberPart = 'point';
      return true;
    }
    if ((character === 'e' || character === 'E') && (part === 'zero' || part === 'integer' || part === 'fraction')) {
      this.numberPart = 'e';
      return true;
    }
    if ((character === '+' || character === '-') && part === 'e') {
      this.numberPart = 'e-sign';
      return true;
    }
    return false;
  }

  /** After a string: a key wants its colon, a value is done. */
  private endValue(isKey: boolean): boolean {
    this.mode = isKey ? 'colon' : 'after-value';
    return true;
  }

  private close(open: string): boolean {
    if (this.stack.at(-1) !== open) return false;
    this.stack = this.stack.slice(0, -1);
    this.mode = 'after-value';
    return true;
  }
}
