/** OpenAI's chat completion objects, whole and as stream chunks. */
import { randomBytes } from 'node:crypto';
import type { FinishReason, TokenLogprob, TokenUsage, ToolCall } from '../../models/spec/index.ts';

export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls';

export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason {
  return reason === 'length' ? 'length' : reason === 'tool-calls' ? 'tool_calls' : 'stop';
}

function openAiToolCalls(calls: readonly ToolCall[]) {
  return calls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
}

/** OpenAI's `usage`; `completion_tokens_details.reasoning_tokens` where the model's provider counted them. */
export function openAiUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(usage.reasoningTokens === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } }),
  };
}

/** OpenAI's `choices[].logprobs`: the tokens with their alternatives, or null when not asked for. */
export function openAiLogprobs(logprobs: readonly TokenLogprob[] | undefined) {
  if (logprobs === undefined) return null;
  return {
    content: logprobs.map(({ token, logprob, bytes, top }) => ({ token, logprob, bytes, top_logprobs: top })),
    refusal: null,
  };
}

/** One answer among a completion's `n`. */
export interface ChoiceResult {
  text: string;
  /** A reasoning model's thinking, answered as `reasoning_content` (vLLM's and DeepSeek's field). */
  reasoning?: string;
  finishReason: FinishReason;
  toolCalls?: readonly ToolCall[];
  logprobs?: readonly TokenLogprob[];
}

export function chatCompletion(identity: CompletionIdentity, choices: readonly ChoiceResult[], usage: TokenUsage) {
  return {
    ...identity,
    object: 'chat.completion' as const,
    choices: choices.map((choice, index) => ({
      index,
      message: {
        ...assistantMessage(choice.text, choice.toolCalls),
        ...(choice.reasoning ? { reasoning_content: choice.reasoning } : {}),
      },
      logprobs: openAiLogprobs(choice.logprobs),
      finish_reason: openAiFinishReason(choice.finishReason),
    })),
    usage: openAiUsage(usage),
  };
}

function assistantMessage(text: string, toolCalls: readonly ToolCall[] | undefined) {
  return toolCalls?.length
    ? {
        role: 'assistant' as const,
        content: text === '' ? null : text,
        refusal: null,
        tool_calls: openAiToolCalls(toolCalls),
      }
    : { role: 'assistant' as const, content: text, refusal: null };
}

/** A piece of a streamed tool call: the first names it (id, type, name), later ones add arguments. */
type ToolCallPiece = {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
};

type Delta = {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallPiece[];
};

/** The delta that carries whole tool calls, each at its index in the answer's calls. */
export function toolCallsDelta(calls: readonly { call: ToolCall; index: number }[]): Delta {
  const whole = openAiToolCalls(calls.map(({ call }) => call));
  return { tool_calls: whole.map((call, position) => ({ index: calls[position]!.index, ...call })) };
}

/** The delta that opens a streamed tool call (its arguments follow as `toolCallArgumentsDelta`s). */
export function toolCallStartDelta(index: number, id: string, name: string): Delta {
  return { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] };
}

export function toolCallArgumentsDelta(index: number, argumentsDelta: string): Delta {
  return { tool_calls: [{ index, function: { arguments: argumentsDelta } }] };
}

export function chatChunk(
  identity: CompletionIdentity,
  delta: Delta,
  finishReason: OpenAiFinishReason | null,
  includeUsage: boolean,
  logprobs?: readonly TokenLogprob[],
  index = 0,
) {
  return {
    ...identity,
    object: 'chat.completion.chunk' as const,
    choices: [{ index, delta, logprobs: openAiLogprobs(logprobs), finish_reason: finishReason }],
    // With `include_usage`, every chunk but the last carries `usage: null` (OpenAI's shape).
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function usageChunk(identity: CompletionIdentity, usage: TokenUsage) {
  return { ...identity, object: 'chat.completion.chunk' as const, choices: [], usage: openAiUsage(usage) };
}
