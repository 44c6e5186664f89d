/**
 * The shapes OpenAI-compatible servers answer with, as zod schemas. Lenient on purpose: engines
 * (vLLM, Ollama, LocalAI, OpenAI) send extra fields and often `null` for absent ones, so only what
 * we read is checked, and everything optional accepts `null`.
 */
import { z } from 'zod';
import { MmkitError } from '../../../errors.ts';
import type { TokenLogprob, TokenUsage } from '../../spec/index.ts';

const usageSchema = z
  .object({
    prompt_tokens: z.number().nullish(),
    completion_tokens: z.number().nullish(),
    total_tokens: z.number().nullish(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
  })
  .nullish();

export type WireUsage = z.infer<typeof usageSchema>;

/** The spec's usage from the wire's; a thinking count only where the server gave one. */
export function tokenUsage(usage: WireUsage): TokenUsage {
  const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
  return {
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    ...(typeof reasoningTokens === 'number' ? { reasoningTokens } : {}),
  };
}

const toolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});

const alternativeSchema = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number()).nullish(),
});

/** `choices[].logprobs`: the tokens with their log probabilities and alternatives. */
const logprobsSchema = z
  .object({
    content: z.array(alternativeSchema.extend({ top_logprobs: z.array(alternativeSchema).nullish() })).nullish(),
  })
  .nullish();

export const chatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          // vLLM's and DeepSeek's field for a reasoning model's thinking; some servers call it `reasoning`.
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
          tool_calls: z.array(toolCallSchema).nullish(),
        }),
        finish_reason: z.string().nullish(),
        logprobs: logprobsSchema,
      }),
    )
    .min(1),
  usage: usageSchema,
});

export const chatCompletionChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
            // Streamed tool calls come in pieces: the first names the call, the rest add argument text.
            tool_calls: z.array(toolCallSchema.extend({ index: z.number().nullish() })).nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
        logprobs: logprobsSchema,
      }),
    )
    .nullish(),
  usage: usageSchema,
});

/** The spec's token log probabilities from OpenAI's `logprobs.content`. */
export function tokenLogprobs(logprobs: z.infer<typeof logprobsSchema>): TokenLogprob[] | undefined {
  const content = logprobs?.content;
  if (!content) return undefined;
  const bytesOf = (entry: z.infer<typeof alternativeSchema>) => entry.bytes ?? [...Buffer.from(entry.token, 'utf8')];
  return content.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    bytes: bytesOf(entry),
    top: (entry.top_logprobs ?? []).map((top) => ({ token: top.token, logprob: top.logprob, bytes: bytesOf(top) })),
  }));
}

/** A streamed chunk of the legacy `/completions` route. */
export const completionChunkSchema = z.object({
  choices: z.array(z.object({ text: z.string().nullish(), finish_reason: z.string().nullish() })).nullish(),
  usage: usageSchema,
});

export const transcriptionSchema = z.object({
  text: z.string(),
  language: z.string().nullish(),
  duration: z.number().nullish(),
  segments: z
    .array(z.object({ id: z.number().nullish(), start: z.number(), end: z.number(), text: z.string() }))
    .nullish(),
  words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).nullish(),
});

export const imagesSchema = z.object({
  data: z.array(z.object({ b64_json: z.string().nullish(), url: z.string().nullish() })),
});

export const embeddingsSchema = z.object({
  data: z.array(
    z.object({
      index: z.number().int().nullish(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().nullish(), total_tokens: z.number().nullish() }).nullish(),
});

/** Every error shape seen in the wild; all optional, so read it only where an error is expected. */
export const errorBodySchema = z.object({
  error: z
    .union([
      z.string(),
      z.object({
        message: z.string().nullish(),
        type: z.string().nullish(),
        code: z.union([z.string(), z.number()]).nullish(),
      }),
    ])
    .nullish(),
  detail: z.unknown().optional(),
  message: z.string().nullish(),
});

/** Checks a decoded response against its schema; a mismatch is the server's fault, said in one line. */
export function parseWire<Schema extends z.ZodType>(schema: Schema, value: unknown, url: string): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new MmkitError(`${url}: unexpected response shape${where} (${issue?.message ?? 'invalid'})`, {
    code: 'provider_bad_response',
    type: 'runtime_error',
    status: 502,
  });
}
