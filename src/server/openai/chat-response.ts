/** OpenAI's chat completion objects, whole and as stream chunks. */
import { randomBytes } from 'node:crypto';
import type { FinishReason, TokenUsage } from '../../models/spec/index.ts';

export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newCompletionIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

export function openAiFinishReason(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

export function openAiUsage(usage: TokenUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

export function chatCompletion(identity: CompletionIdentity, text: string, reason: FinishReason, usage: TokenUsage) {
  return {
    ...identity,
    object: 'chat.completion' as const,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: text, refusal: null },
        logprobs: null,
        finish_reason: openAiFinishReason(reason),
      },
    ],
    usage: openAiUsage(usage),
  };
}

type Delta = { role?: 'assistant'; content?: string };

export function chatChunk(
  identity: CompletionIdentity,
  delta: Delta,
  finishReason: 'stop' | 'length' | null,
  includeUsage: boolean,
) {
  return {
    ...identity,
    object: 'chat.completion.chunk' as const,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // With `include_usage`, every chunk but the last carries `usage: null` (OpenAI's shape).
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function usageChunk(identity: CompletionIdentity, usage: TokenUsage) {
  return { ...identity, object: 'chat.completion.chunk' as const, choices: [], usage: openAiUsage(usage) };
}
