/**
 * `POST /v1/completions`: OpenAI's legacy text completions over a chat model's raw continuation
 * (no chat template), for base models and the tools that still speak this route (evaluation
 * harnesses, older clients). Prompts as text or token ids, several answered in turn (one choice
 * each); `echo` gives the prompt back, scored with `logprobs`. Streamed or whole; a disconnect stops
 * the generation.
 */
import { Hono } from 'hono';
import type { ChatModel, TextCompletionRequest, TokenUsage } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import {
  type CompletionRequestBody,
  completionRequestSchema,
  LegacyLogprobsWriter,
  newTextCompletionIdentity,
  type TextCompletionChoice,
  textCompletion,
  textCompletionChunk,
  textCompletionUsageChunk,
} from '../openai/completion-wire.ts';
import { samplingSettings } from '../openai/sampling-settings.ts';
import { partsInTurn, streamAnswer } from '../openai/stream-answer.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

/** OpenAI's default for this route. */
const DEFAULT_MAX_TOKENS = 16;

export function completionsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/v1/completions', async (c) => {
    const body = parseWith(completionRequestSchema, await readJsonBody(c, limits.chatBodyBytes));
    const prompts = promptsOf(body.prompt);
    for (const [index, prompt] of prompts.entries()) {
      if (typeof prompt === 'string' && prompt.length > limits.maxPromptChars) {
        const param = prompts.length === 1 ? 'prompt' : `prompt.${index}`;
        throw invalidRequest(`the prompt is over ${limits.maxPromptChars} characters`, param, 'prompt_too_long');
      }
    }
    if (body.max_tokens === 0 && !body.echo) {
      throw invalidRequest('max_tokens 0 asks for nothing: it is taken with echo (the prompt alone)', 'max_tokens');
    }
    const signal = requestSignal(c);
    const lease = await services.models.acquire('chat', body.model, signal);
    let releasedByStream = false;
    try {
      const model = lease.model;
      const complete = model.complete?.bind(model);
      if (!complete) {
        throw invalidRequest(`the model '${body.model}' does not continue raw text`, 'model', 'completion_unsupported');
      }
      const requests = prompts.map((prompt) => completionRequest(body, model, prompt, signal));
      const identity = newTextCompletionIdentity(body.model);
      const wantsLogprobs = body.logprobs !== undefined && body.logprobs !== null;
      if (!body.stream) {
        const choices: TextCompletionChoice[] = [];
        const usages: TokenUsage[] = [];
        for (const request of requests) {
          const logprobs = new LegacyLogprobsWriter(wantsLogprobs);
          let text = '';
          for await (const part of complete(request)) {
            // Raw continuation has no reasoning of its own to tell apart.
            if (part.type === 'reasoning-delta') continue;
            if (part.type !== 'finish') {
              text += part.text;
              logprobs.piece(part.text, part.logprobs);
              continue;
            }
            choices.push({ text, finishReason: part.finishReason, logprobs: logprobs.all() });
            usages.push(part.usage);
          }
        }
        return c.json(textCompletion(identity, choices, totalUsage(usages)));
      }
      const { parts, close } = await partsInTurn(requests, complete);
      releasedByStream = true;
      const includeUsage = body.stream_options?.include_usage === true;
      return streamAnswer(c, { services, signal, closeParts: close, release: () => lease.release() }, async (send) => {
        const usages: TokenUsage[] = [];
        let logprobs = new LegacyLogprobsWriter(wantsLogprobs);
        for await (const { index, part, starts } of parts) {
          if (starts) logprobs = new LegacyLogprobsWriter(wantsLogprobs);
          if (part.type === 'reasoning-delta') continue;
          if (part.type === 'finish') {
            await send(
              textCompletionChunk(
                identity,
                { index, text: '', logprobs: null, finishReason: part.finishReason },
                includeUsage,
              ),
            );
            usages.push(part.usage);
          } else if (part.text !== '') {
            const chunk = {
              index,
              text: part.text,
              logprobs: logprobs.piece(part.text, part.logprobs),
              finishReason: null,
            };
            await send(textCompletionChunk(identity, chunk, includeUsage));
          }
        }
        if (includeUsage) await send(textCompletionUsageChunk(identity, totalUsage(usages)));
      });
    } finally {
      if (!releasedByStream) lease.release();
    }
  });

  return app;
}

/** Every prompt's tokens and every answer's, summed (each prompt is read on its own). */
function totalUsage(usages: readonly TokenUsage[]): TokenUsage {
  let promptTokens = 0;
  let completionTokens = 0;
  for (const usage of usages) {
    promptTokens += usage.promptTokens;
    completionTokens += usage.completionTokens;
  }
  return { promptTokens, completionTokens };
}

/** The prompts a body holds, each a string or token ids. */
function promptsOf(prompt: CompletionRequestBody['prompt']): (string | number[])[] {
  if (typeof prompt === 'string') return [prompt];
  if (prompt.every((item) => typeof item === 'number')) return [prompt as number[]];
  return prompt as (string | number[])[];
}

function completionRequest(
  body: CompletionRequestBody,
  model: ChatModel,
  prompt: string | number[],
  signal: AbortSignal,
): TextCompletionRequest {
  const requested = body.max_tokens ?? undefined;
  if (requested !== undefined && requested > model.contextLength) {
    throw invalidRequest(
      `max_tokens ${requested} is over the model's context length of ${model.contextLength} tokens`,
      'max_tokens',
      'max_tokens_too_large',
    );
  }
  const logprobs = body.logprobs ?? undefined;
  return {
    prompt,
    maxNewTokens: requested ?? DEFAULT_MAX_TOKENS,
    ...samplingSettings(body),
    ...(body.echo ? { echo: true } : {}),
    ...(logprobs === undefined ? {} : { logprobs, ...(body.echo ? { promptLogprobs: logprobs } : {}) }),
    signal,
  };
}
