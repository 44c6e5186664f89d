/**
 * OpenAI's Responses API objects: the `response`, its output items (an assistant message, function
 * calls) and usage. Item ids carry their response's id (`msg_<hex>_<n>`), so a stored item is found
 * from its id alone (`item_reference`), whichever server process stored it.
 */
import { randomBytes } from 'node:crypto';
import type { ChatResult, TokenLogprob, TokenUsage, ToolCall } from '../../models/spec/index.ts';
import type { ResponsesRequestBody } from './responses-request-schema.ts';

export interface ResponseIdentity {
  /** `resp_<hex>`. */
  id: string;
  /** The hex part, which item ids repeat. */
  hex: string;
  createdAt: number;
  model: string;
}

const RESPONSE_ID = /^resp_([0-9a-f]{24})$/;
const ITEM_ID = /^(?:msg|fc|fco|rs)_([0-9a-f]{24})_\d{1,5}$/;

export function newResponseIdentity(model: string): ResponseIdentity {
  const hex = randomBytes(12).toString('hex');
  return { id: `resp_${hex}`, hex, createdAt: Math.floor(Date.now() / 1000), model };
}

/** The hex of a response id, or undefined when it is not one of ours. */
export function responseHexOf(id: string): string | undefined {
  return RESPONSE_ID.exec(id)?.[1];
}

/** The hex of the response an item id belongs to, or undefined when it is not one of ours. */
export function itemResponseHexOf(id: string): string | undefined {
  return ITEM_ID.exec(id)?.[1];
}

type ItemKind = 'message' | 'function_call' | 'function_call_output' | 'reasoning';
const ITEM_PREFIX: Record<ItemKind, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

export function itemId(identity: Pick<ResponseIdentity, 'hex'>, kind: ItemKind, number: number): string {
  return `${ITEM_PREFIX[kind]}_${identity.hex}_${number}`;
}

export function responsesLogprobs(logprobs: readonly TokenLogprob[] | undefined) {
  return (logprobs ?? []).map(({ token, logprob, bytes, top }) => ({ token, logprob, bytes, top_logprobs: top }));
}

export function outputText(text: string, logprobs?: readonly TokenLogprob[]) {
  return { type: 'output_text' as const, text, annotations: [] as never[], logprobs: responsesLogprobs(logprobs) };
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export function messageItem(id: string, status: ItemStatus, content: ReturnType<typeof outputText>[]) {
  return { id, type: 'message' as const, status, role: 'assistant' as const, content };
}

export function functionCallItem(id: string, call: ToolCall, status: ItemStatus = 'completed') {
  return {
    id,
    type: 'function_call' as const,
    status,
    call_id: call.id,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
  };
}

/** A reasoning model's thinking, as open-weight models' reasoning is given (its text, no summary). */
export function reasoningItem(id: string, status: ItemStatus, text: string | undefined) {
  return {
    id,
    type: 'reasoning' as const,
    status,
    summary: [] as never[],
    content: text === undefined ? [] : [reasoningText(text)],
  };
}

export function reasoningText(text: string) {
  return { type: 'reasoning_text' as const, text };
}

export type OutputItem =
  | ReturnType<typeof messageItem>
  | ReturnType<typeof functionCallItem>
  | ReturnType<typeof reasoningItem>;

/**
 * The items an answer becomes: a reasoning model's thinking as a reasoning item, its text as one
 * assistant message (when there is text, or nothing else), then one item per tool call. Numbers follow `firstNumber` (after the input's items).
 */
export function outputItems(
  identity: ResponseIdentity,
  result: Pick<ChatResult, 'text' | 'reasoning' | 'toolCalls' | 'logprobs' | 'finishReason'>,
  firstNumber: number,
): OutputItem[] {
  const items: OutputItem[] = [];
  const calls = result.toolCalls ?? [];
  const status: ItemStatus = result.finishReason === 'length' ? 'incomplete' : 'completed';
  if (result.reasoning) {
    items.push(reasoningItem(itemId(identity, 'reasoning', firstNumber), 'completed', result.reasoning));
  }
  if (result.text !== '' || calls.length === 0) {
    items.push(
      messageItem(itemId(identity, 'message', firstNumber + items.length), status, [
        outputText(result.text, result.logprobs),
      ]),
    );
  }
  for (const call of calls) {
    items.push(functionCallItem(itemId(identity, 'function_call', firstNumber + items.length), call));
  }
  return items;
}

export function responsesUsage(usage: TokenUsage) {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface ResponseState {
  status: ResponseStatus;
  output: OutputItem[];
  usage?: TokenUsage;
  /** Whether the response is kept (the request asked, and the server keeps responses). */
  stored: boolean;
}

/** The `response` object: the request's settings echoed as OpenAI does, with the state so far. */
export function responseObject(identity: ResponseIdentity, body: ResponsesRequestBody, state: ResponseState) {
  return {
    id: identity.id,
    object: 'response' as const,
    created_at: identity.createdAt,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    metadata: body.metadata ?? {},
    model: identity.model,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: null },
    store: state.stored,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: (body.tools ?? []).map((tool) => ({
      type: 'function' as const,
      name: tool.name,
      description: tool.description ?? null,
      parameters: tool.parameters ?? null,
      strict: tool.strict ?? true,
    })),
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: state.usage ? responsesUsage(state.usage) : null,
    user: body.user ?? null,
  };
}

export type ResponseObject = ReturnType<typeof responseObject>;
