/**
 * OpenAI's legacy text completions (`POST /v1/completions`): the request body, narrowed to what
 * mmkit's models do (one prompt, one choice, no log probabilities), and the completion objects,
 * whole and as stream chunks.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FinishReason, TokenUsage } from '../../models/spec/index.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';
import { modelName, SAMPLING_FIELDS } from './chat-request-schema.ts';
import { openAiFinishReason, openAiUsage } from './chat-response.ts';

const promptText = z.string().min(1).regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');

export const completionRequestSchema = z.looseObject({
  model: modelName,
  // One prompt: a string, or a list holding one (token-id prompts are not taken).
  prompt: z.union([promptText, z.array(promptText).length(1, 'one prompt per request is supported')], {
    error: 'prompt must be a non-empty string (or a list of one)',
  }),
  ...SAMPLING_FIELDS,
  echo: z.boolean().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  best_of: z.literal(1, { error: 'only best_of = 1 is supported' }).nullish(),
  logprobs: z.null({ error: 'logprobs are not supported' }).nullish(),
  suffix: z.null({ error: 'suffix (insertion) is not supported' }).nullish(),
});

export type CompletionRequestBody = z.infer<typeof completionRequestSchema>;

export interface TextCompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function newTextCompletionIdentity(model: string): TextCompletionIdentity {
  return { id: `cmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

export function textCompletion(
  identity: TextCompletionIdentity,
  text: string,
  reason: FinishReason,
  usage: TokenUsage,
) {
  return {
    ...identity,
    object: 'text_completion' as const,
    choices: [{ index: 0, text, logprobs: null, finish_reason: openAiFinishReason(reason) }],
    usage: openAiUsage(usage),
  };
}

export function textCompletionChunk(
  identity: TextCompletionIdentity,
  text: string,
  reason: FinishReason | null,
  includeUsage: boolean,
) {
  return {
    ...identity,
    object: 'text_completion' as const,
    choices: [{ index: 0, text, logprobs: null, finish_reason: reason === null ? null : openAiFinishReason(reason) }],
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function textCompletionUsageChunk(identity: TextCompletionIdentity, usage: TokenUsage) {
  return { ...identity, object: 'text_completion' as const, choices: [], usage: openAiUsage(usage) };
}
