/**
 * `POST /v1/completions`: OpenAI's legacy text completions over a chat model's raw continuation
 * (no chat template), for base models and the tools that still speak this route (evaluation
 * harnesses, older clients). Streamed or whole; a disconnect stops the generation.
 */
import { Hono } from 'hono';
import type { ChatModel, ChatStreamPart, TextCompletionRequest } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import {
  type CompletionRequestBody,
  completionRequestSchema,
  newTextCompletionIdentity,
  textCompletion,
  textCompletionChunk,
  textCompletionUsageChunk,
} from '../openai/completion-wire.ts';
import { penalties } from '../openai/penalties.ts';
import { type SendEvent, streamAnswer } from '../openai/stream-answer.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

/** OpenAI's default for this route. */
const DEFAULT_MAX_TOKENS = 16;

export function completionsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/v1/completions', async (c) => {
    const body = parseWith(completionRequestSchema, await readJsonBody(c, limits.chatBodyBytes));
    const prompt = [body.prompt].flat()[0]!;
    if (prompt.length > limits.maxPromptChars) {
      throw invalidRequest(`the prompt is over ${limits.maxPromptChars} characters`, 'prompt', 'prompt_too_long');
    }
    const signal = requestSignal(c);
    const lease = await services.models.acquire('chat', body.model, signal);
    let releasedByStream = false;
    try {
      const model = lease.model;
      if (!model.complete) {
        throw invalidRequest(`the model '${body.model}' does not continue raw text`, 'model', 'completion_unsupported');
      }
      const parts = model.complete(completionRequest(body, model, prompt, signal))[Symbol.asyncIterator]();
      const identity = newTextCompletionIdentity(body.model);
      const echoed = body.echo ? prompt : '';
      if (!body.stream) {
        let text = echoed;
        for (let next = await parts.next(); !next.done; next = await parts.next()) {
          const part = next.value;
          if (part.type === 'text-delta') text += part.text;
          else return c.json(textCompletion(identity, text, part.finishReason, part.usage));
        }
        throw new Error('the completion ended without a finish');
      }
      const first = await parts.next();
      releasedByStream = true;
      const includeUsage = body.stream_options?.include_usage === true;
      const closeParts = () => parts.return?.();
      return streamAnswer(c, { services, signal, closeParts, release: () => lease.release() }, async (send) => {
        if (echoed !== '') await send(textCompletionChunk(identity, echoed, null, includeUsage));
        for (let next = first; !next.done; next = await parts.next()) {
          await sendPart(send, identity, next.value, includeUsage);
        }
      });
    } finally {
      if (!releasedByStream) lease.release();
    }
  });

  return app;
}

function completionRequest(
  body: CompletionRequestBody,
  model: ChatModel,
  prompt: string,
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
  const stop = body.stop === undefined || body.stop === null ? undefined : [body.stop].flat();
  return {
    prompt,
    maxNewTokens: requested ?? DEFAULT_MAX_TOKENS,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    ...(body.top_k ? { topK: body.top_k } : {}),
    ...penalties(body),
    ...(body.seed === undefined || body.seed === null ? {} : { seed: body.seed }),
    ...(stop ? { stop } : {}),
    signal,
  };
}

async function sendPart(
  send: SendEvent,
  identity: ReturnType<typeof newTextCompletionIdentity>,
  part: ChatStreamPart,
  includeUsage: boolean,
): Promise<void> {
  if (part.type === 'text-delta') {
    if (part.text !== '') await send(textCompletionChunk(identity, part.text, null, includeUsage));
    return;
  }
  await send(textCompletionChunk(identity, '', part.finishReason, includeUsage));
  if (includeUsage) await send(textCompletionUsageChunk(identity, part.usage));
}
