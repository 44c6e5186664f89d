/**
 * Reads one tool call's JSON object while it is being written, so its arguments can be streamed:
 * `{"name": "get_weather", "arguments": {"city": "Pa` gives the name once the arguments object
 * opens, then the arguments' text as it grows. Only the plain order models write (`name` first,
 * then `arguments` or `parameters` as an object) is followed; anything else (a string of JSON as
 * the arguments, other keys first) gives up, and the call is left to the parse of the whole answer.
 */

export type CallReading = { type: 'name'; name: string } | { type: 'arguments'; text: string };

type Step = 'open' | 'key' | 'colon' | 'name' | 'comma' | 'value' | 'arguments' | 'done' | 'failed';

export class ToolCallReader {
  private step: Step = 'open';
  private position = 0;
  private key = '';
  private name: string | undefined;
  /** Inside the arguments: nesting depth, and whether in a string (after a backslash). */
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly offered: ReadonlySet<string>) {}

  /** The arguments' object ended: what follows is not the reader's. */
  get done(): boolean {
    return this.step === 'done';
  }

  /** The call is not written in the order followed here (or names a tool not offered). */
  get failed(): boolean {
    return this.step === 'failed';
  }

  /** Where in the text the reader has read to (after the arguments' closing brace once done). */
  get end(): number {
    return this.position;
  }

  /** Reads what `text` (the call's text so far, from its `{`) adds to what was read before. */
  read(text: string): CallReading[] {
    const readings: CallReading[] = [];
    while (this.position < text.length && this.step !== 'done' && this.step !== 'failed') {
      if (this.step === 'arguments') {
        const start = this.position;
        this.scanArguments(text);
        readings.push({ type: 'arguments', text: text.slice(start, this.position) });
        continue;
      }
      const character = text[this.position]!;
      if (/\s/.test(character)) {
        this.position++;
        continue;
      }
      if (!this.structural(text, character, readings)) break;
    }
    return readings;
  }

  /** One step outside the arguments; false when the text so far ends before the step can finish. */
  private structural(text: string, character: string, readings: CallReading[]): boolean {
    switch (this.step) {
      case 'open':
        return this.expect(character, '{', 'key');
      case 'key': {
        const key = this.jsonString(text);
        if (key === undefined) return false;
        this.key = key;
        this.step = 'colon';
        return true;
      }
      case 'colon':
        if (!this.expect(character, ':', 'value')) return true;
        if (this.key !== 'name' && this.name === undefined) this.step = 'failed';
        else if (this.key === 'name') this.step = 'name';
        else if (this.key !== 'arguments' && this.key !== 'parameters') this.step = 'failed';
        return true;
      case 'name': {
        const name = this.jsonString(text);
        if (name === undefined) return false;
        if (!this.offered.has(name)) this.step = 'failed';
        else {
          this.name = name;
          this.step = 'comma';
        }
        return true;
      }
      case 'comma':
        return this.expect(character, ',', 'key');
      case 'value':
        if (character !== '{') {
          this.step = 'failed';
          return true;
        }
        readings.push({ type: 'name', name: this.name! });
        this.step = 'arguments';
        return true;
      default:
        return false;
    }
  }

  private expect(character: string, wanted: string, next: Step): boolean {
    if (character !== wanted) {
      this.step = 'failed';
      return false;
    }
    this.position++;
    this.step = next;
    return true;
  }

  /** A whole JSON string at the position (moving past it), or undefined while it is unfinished. */
  private jsonString(text: string): string | undefined {
    if (text[this.position] !== '"') {
      this.step = 'failed';
      return undefined;
    }
    let index = this.position + 1;
    while (index < text.length) {
      const character = text[index]!;
      if (character === '\\') index += 2;
      else if (character === '"') {
        try {
          const value = JSON.parse(text.slice(this.position, index + 1)) as string;
          this.position = index + 1;
          return value;
        } catch {
          this.step = 'failed';
          return undefined;
        }
      } else index++;
    }
    return undefined;
  }

  /** Moves through the arguments' text as far as it goes, ending after their closing brace. */
  private scanArguments(text: string): void {
    while (this.position < text.length) {
      const character = text[this.position++]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (character === '\\') this.escaped = true;
        else if (character === '"') this.inString = false;
      } else if (character === '"') this.inString = true;
      else if (character === '{' || character === '[') this.depth++;
      else if (character === '}' || character === ']') {
        this.depth--;
        if (this.depth === 0) {
          this.step = 'done';
          return;
        }
      }
    }
  }
}
