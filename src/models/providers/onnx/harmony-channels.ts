/**
 * OpenAI's harmony format (gpt-oss): an answer is messages on channels, marked with special tokens:
 * `<|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>…<|return|>`,
 * and a tool call `<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{…}<|call|>`.
 * Decoding with special tokens skipped would run the channel names into the answer. This rewrites
 * the tokens as the text conventions the answer shaper already reads: the analysis channel inside
 * `<think>…</think>`, the final channel (and commentary to the user) as the answer, a message to
 * `functions.NAME` as a Hermes `<tool_call>{"name": NAME, "arguments": …}</tool_call>` block, so
 * thinking, streaming and tool calls work as they do for every other model.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { type DecodeTokens, IncrementalDetokenizer } from './incremental-detokenizer.ts';

const MARKERS = ['channel', 'message', 'start', 'end', 'call', 'return', 'constrain'] as const;
type Marker = (typeof MARKERS)[number];

/** The marker tokens' ids, when the tokenizer speaks harmony (has `<|channel|>` and `<|message|>`). */
export function harmonyMarkers(tokenizer: PreTrainedTokenizer): Map<number, Marker> | undefined {
  const special = new Set(tokenizer.all_special_tokens);
  if (!special.has('<|channel|>') || !special.has('<|message|>')) return undefined;
  const markers = new Map<number, Marker>();
  for (const marker of MARKERS) {
    const token = `<|${marker}|>`;
    if (special.has(token)) markers.set(tokenizer.convert_tokens_to_ids(token), marker);
  }
  return markers;
}

type Message = { kind: 'reasoning' | 'answer' } | { kind: 'call'; name: string };

export class HarmonyChannels {
  /** Between messages, reading a message's header (role, channel, recipient), or inside one. */
  private state: 'between' | 'header' | 'content' = 'between';
  /** The header's tokens: after `<|start|>` (the role, maybe a recipient) and after `<|channel|>`. */
  private role: number[] = [];
  private channel: number[] = [];
  private message: Message | undefined;
  private content: IncrementalDetokenizer | undefined;

  constructor(
    private readonly markers: ReadonlyMap<number, Marker>,
    private readonly decode: DecodeTokens,
  ) {}

  /** The text one generated token adds to the answer (markup where a message opens or closes). */
  accept(tokenId: number): string {
    const marker = this.markers.get(tokenId);
    if (marker === undefined) {
      if (this.state === 'content') return this.content!.push(tokenId);
      // Text outside any message is the answer, as a model that skips the markup means it.
      if (this.state === 'between') return this.open({ kind: 'answer' }) + this.accept(tokenId);
      this.channel.push(tokenId);
      return '';
    }
    switch (marker) {
      case 'start': {
        const closing = this.close();
        this.state = 'header';
        return closing;
      }
      case 'channel': {
        const closing = this.close();
        // What came since `<|start|>` was the role (and maybe the recipient).
        if (this.state === 'header') this.role = this.channel;
        this.channel = [];
        this.state = 'header';
        return closing;
      }
      case 'message':
        return this.open(this.messageOf(`${this.headerText(this.role)} ${this.headerText(this.channel)}`));
      case 'constrain':
        return '';
      default:
        // end, call, return: the message is complete.
        return this.close();
    }
  }

  /** What closes a message the generation stopped inside (`<|call|>` and `<|return|>` end it). */
  end(): string {
    return this.close();
  }

  private headerText(tokenIds: number[]): string {
    return tokenIds.length === 0 ? '' : this.decode(tokenIds);
  }

  private messageOf(header: string): Message {
    const recipient = /to=functions\.([\w.-]+)/.exec(header)?.[1];
    if (recipient) return { kind: 'call', name: recipient };
    return { kind: /\banalysis\b/.test(header) ? 'reasoning' : 'answer' };
  }

  private open(message: Message): string {
    this.message = message;
    this.state = 'content';
    this.role = [];
    this.channel = [];
    this.content = new IncrementalDetokenizer(this.decode);
    if (message.kind === 'reasoning') return '<think>';
    if (message.kind === 'call') return `<tool_call>{"name": ${JSON.stringify(message.name)}, "arguments": `;
    return '';
  }

  private close(): string {
    if (this.state !== 'content' || !this.message) return '';
    const rest = this.content!.flush();
    const kind = this.message.kind;
    this.message = undefined;
    this.content = undefined;
    this.state = 'between';
    if (kind === 'reasoning') return `${rest}</think>`;
    if (kind === 'call') return `${rest}}</tool_call>`;
    return rest;
  }
}
