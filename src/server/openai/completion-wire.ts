/**
 * OpenAI's legacy text completions (`POST /v1/completions`): the request body, narrowed to what
 * mmkit's models do (one choice per prompt, no insertion), and the completion objects with their
 * legacy log probabilities, whole and as stream chunks.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FinishReason, PromptTokenLogprob, TokenLogprob, TokenUsage } from '../../models/spec/index.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';
import { modelName, SAMPLING_FIELDS } from './chat-request-schema.ts';
import { openAiFinishReason, openAiUsage } from './chat-response.ts';

const promptText = z.string().min(1).regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');
const tokenIds = z.array(z.int().min(0)).min(1);

/** Prompts one request may hold (each answered in turn, as its own choice). */
export const MAX_PROMPTS = 64;

export const completionRequestSchema = z.looseObject({
  model: modelName,
  // A string, token ids, or a list of either: one choice per prompt.
  prompt: z.union(
    [promptText, tokenIds, z.array(promptText).min(1).max(MAX_PROMPTS), z.array(tokenIds).min(1).max(MAX_PROMPTS)],
    { error: `prompt must be a non-empty string, a list of token ids, or a list of up to ${MAX_PROMPTS} of either` },
  ),
  ...SAMPLING_FIELDS,
  // 0 with echo: the prompt alone, scored (what evaluation harnesses ask).
  max_tokens: z.int().min(0).nullish(),
  echo: z.boolean().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  best_of: z.literal(1, { error: 'only best_of = 1 is supported' }).nullish(),
  logprobs: z.int().min(0).max(20).nullish(),
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

/** The legacy `logprobs` object: tokens, their log probabilities, the likeliest alternatives, offsets. */
export interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

export interface TextCompletionChoice {
  text: string;
  finishReason: FinishReason;
  logprobs: LegacyLogprobs | null;
}

/**
 * One choice's legacy log probabilities, piece by piece as its text is written: each token's offset
 * in the choice's text (a token the text does not show, such as a prompt's BOS, takes no room), and
 * the alternatives with the chosen token among them, as vLLM answers.
 */
export class LegacyLogprobsWriter {
  private offset = 0;
  private readonly whole: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };

  constructor(private readonly wanted: boolean) {}

  /** The object for `text` written by `tokens`; null when log probabilities were not asked for. */
  piece(text: string, tokens: readonly (TokenLogprob | PromptTokenLogprob)[] | undefined): LegacyLogprobs | null {
    const start = this.offset;
    this.offset += text.length;
    if (!this.wanted) return null;
    const piece: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    let position = 0;
    for (const token of tokens ?? []) {
      piece.tokens.push(token.token);
      piece.token_logprobs.push(token.logprob);
      piece.top_logprobs.push(token.top === null ? null : alternatives(token));
      piece.text_offset.push(start + position);
      if (text.startsWith(token.token, position)) position += token.token.length;
    }
    for (const key of ['tokens', 'token_logprobs', 'top_logprobs', 'text_offset'] as const) {
      (this.whole[key] as unknown[]).push(...piece[key]);
    }
    return piece;
  }

  /** Everything written so far, for a whole answer. */
  all(): LegacyLogprobs | null {
    return this.wanted ? this.whole : null;
  }
}

function alternatives(token: TokenLogprob | PromptTokenLogprob): Record<string, number> {
  const entries: Record<string, number> = {};
  for (const top of token.top ?? []) entries[top.token] ??= top.logprob;
  if (token.logprob !== null) entries[token.token] ??= token.logprob;
  return entries;
}

export function textCompletion(
  identity: TextCompletionIdentity,
  choices: readonly TextCompletionChoice[],
  usage: TokenUsage,
) {
  return {
    ...identity,
    object: 'text_completion' as const,
    choices: choices.map((choice, index) => ({
      index,
      text: choice.text,
      logprobs: choice.logprobs,
      finish_reason: openAiFinishReason(choice.finishReason),
    })),
    usage: openAiUsage(usage),
  };
}

export function textCompletionChunk(
  identity: TextCompletionIdentity,
  choice: { index: number; text: string; logprobs: LegacyLogprobs | null; finishReason: FinishReason | null },
  includeUsage: boolean,
) {
  return {
    ...identity,
    object: 'text_completion' as const,
    choices: [
      {
        index: choice.index,
        text: choice.text,
        logprobs: choice.logprobs,
        finish_reason: choice.finishReason === null ? null : openAiFinishReason(choice.finishReason),
      },
    ],
    ...(includeUsage ? { usage: null } : {}),
  };
}

export function textCompletionUsageChunk(identity: TextCompletionIdentity, usage: TokenUsage) {
  return { ...identity, object: 'text_completion' as const, choices: [], usage: openAiUsage(usage) };
}
