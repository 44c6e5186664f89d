/**
 * `chat`: text (or a conversation) in, a short spoken-style answer out, whole or streamed (the seed's
 * answering step: instruct model through its chat template, 150 new tokens, temperature 0.4, top_p
 * 0.9). Without a system prompt of the caller's, the seed's instruction is added in the user's
 * language. Cancelling rejects with an `AbortError`, whichever provider runs the model.
 */
import { MmkitError } from '../../errors.ts';
import type {
  CallOptions,
  ChatMessage,
  ChatModel,
  ChatRequest,
  FinishReason,
  ResponseFormat,
  TokenUsage,
} from '../../models/spec/index.ts';
import { defaultSystemPrompt, detectReplyLanguage, type ReplyLanguage } from './system-prompt.ts';

export const CHAT_DEFAULTS = { maxNewTokens: 150, temperature: 0.4, topP: 0.9 } as const;

export interface ChatOptions extends CallOptions {
  /** The user's message. Give this or `messages`. */
  text?: string;
  /** A whole conversation, ending with the user's turn. */
  messages?: ChatMessage[];
  model: ChatModel;
  /** Replaces the default instruction; an empty string sends no system message at all. */
  system?: string;
  maxNewTokens?: number;
  /** 0 is greedy decoding. */
  temperature?: number;
  topP?: number;
  /** Same seed, same request → the same answer. */
  seed?: number;
  /** `{type: 'json', schema}`: the answer is JSON that matches the schema. */
  responseFormat?: ResponseFormat;
  /** When given, the answer is streamed: called with each piece of text as it is generated. */
  onTextDelta?: (text: string) => void;
  /** Streaming only: called with each piece of a reasoning model's thinking, before the answer. */
  onReasoningDelta?: (text: string) => void;
}

export interface ChatReply {
  /** The answer (a reasoning model's thinking is not part of it). */
  text: string;
  /** What a reasoning model thought before answering, when it did. */
  reasoning?: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** The language the user wrote in, which picked the default instruction. */
  language: ReplyLanguage;
  /** The model's id. */
  model: string;
  timings: { totalMs: number; firstTokenMs?: number };
}

export interface PreparedChat {
  request: ChatRequest;
  language: ReplyLanguage;
}

/** Checks the options and builds the request the model receives (exported for the server and tests). */
export function prepareChat(options: ChatOptions): PreparedChat {
  const conversation = conversationOf(options);
  const lastUser = [...conversation].reverse().find((message) => message.role === 'user');
  const userText = lastUser === undefined ? '' : textOf(lastUser);
  if (userText.trim() === '') {
    throw new MmkitError('chat: the last user message has no text', { code: 'text_empty', param: 'messages' });
  }
  const language = detectReplyLanguage(userText);
  const hasSystemMessage = conversation.some((message) => message.role === 'system');
  if (hasSystemMessage && options.system !== undefined) {
    throw new MmkitError('chat: give the system prompt either as `system` or as a system message, not both', {
      code: 'system_prompt_twice',
      param: 'system',
    });
  }
  const system = hasSystemMessage ? '' : (options.system ?? defaultSystemPrompt(userText).prompt);
  const messages: ChatMessage[] = system === '' ? conversation : [{ role: 'system', content: system }, ...conversation];
  const request: ChatRequest = {
    messages,
    maxNewTokens: checkedNumber('maxNewTokens', options.maxNewTokens ?? CHAT_DEFAULTS.maxNewTokens, {
      integer: true,
      min: 1,
    }),
    temperature: checkedNumber('temperature', options.temperature ?? CHAT_DEFAULTS.temperature, { min: 0, max: 2 }),
    topP: checkedNumber('topP', options.topP ?? CHAT_DEFAULTS.topP, { min: 0, max: 1, excludeMin: true }),
  };
  if (options.seed !== undefined) {
    request.seed = checkedNumber('seed', options.seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  }
  if (options.responseFormat !== undefined) request.responseFormat = options.responseFormat;
  if (options.signal !== undefined) request.signal = options.signal;
  return { request, language };
}

export async function chat(options: ChatOptions): Promise<ChatReply> {
  const started = performance.now();
  const { request, language } = prepareChat(options);
  const { model, signal, onTextDelta, onReasoningDelta } = options;
  signal?.throwIfAborted();
  let text = '';
  let reasoning = '';
  let finishReason: FinishReason = 'stop';
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  let firstTokenMs: number | undefined;
  if (onTextDelta === undefined) {
    const result = await model.generate(request);
    ({ text, finishReason, usage } = result);
    reasoning = result.reasoning ?? '';
    firstTokenMs = result.timings.firstOutputMs;
  } else {
    for await (const part of model.stream(request)) {
      if (part.type === 'reasoning-delta') {
        reasoning += part.text;
        if (part.text !== '') onReasoningDelta?.(part.text);
      } else if (part.type === 'text-delta') {
        if (part.text === '') continue;
        firstTokenMs ??= performance.now() - started;
        text += part.text;
        onTextDelta(part.text);
      } else if (part.type === 'finish') {
        ({ finishReason, usage } = part);
      }
    }
  }
  // Providers differ (some return finishReason `abort`, some reject): callers always get the rejection.
  if (signal?.aborted || finishReason === 'abort') throw abortError(signal);
  const timings = { totalMs: performance.now() - started, ...(firstTokenMs === undefined ? {} : { firstTokenMs }) };
  return {
    text,
    ...(reasoning === '' ? {} : { reasoning }),
    finishReason,
    usage,
    language,
    model: model.description.id,
    timings,
  };
}

function conversationOf(options: ChatOptions): ChatMessage[] {
  const { text, messages } = options;
  if (text !== undefined && messages !== undefined) {
    throw new MmkitError('chat: give either `text` or `messages`, not both', {
      code: 'input_ambiguous',
      param: 'text',
    });
  }
  if (messages !== undefined) {
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new MmkitError('chat: `messages` is empty', { code: 'messages_empty', param: 'messages' });
    }
    if (messages.at(-1)?.role !== 'user') {
      throw new MmkitError('chat: the conversation must end with a user message', {
        code: 'messages_invalid',
        param: 'messages',
      });
    }
    return messages;
  }
  if (typeof text !== 'string' || text.trim() === '') {
    throw new MmkitError('chat: the text is empty', { code: 'text_empty', param: 'text' });
  }
  return [{ role: 'user', content: text }];
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .filter((part) => part.type === 'text')
    .map((part) => part.text)
    .join(' ');
}

interface NumberRule {
  integer?: boolean;
  min: number;
  max?: number;
  excludeMin?: boolean;
}

function checkedNumber(name: string, value: number, rule: NumberRule): number {
  const low = rule.excludeMin ? value > rule.min : value >= rule.min;
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    low &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (!valid) {
    const range = `${rule.excludeMin ? '>' : '≥'} ${rule.min}${rule.max === undefined ? '' : ` and ≤ ${rule.max}`}`;
    throw new MmkitError(`chat: ${name} must be ${rule.integer ? 'an integer' : 'a number'} ${range}, got ${value}`, {
      code: 'invalid_setting',
      param: name,
    });
  }
  return value;
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('the chat was cancelled', 'AbortError');
}
