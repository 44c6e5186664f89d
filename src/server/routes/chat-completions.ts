/**
 * `POST /v1/chat/completions`: OpenAI's chat API over mmkit's `ChatModel`. Images are fetched and
 * checked before the request queues for the model; the first streamed part is awaited before the
 * response starts, so early failures still get a proper status. A client that disconnects aborts
 * the generation (the request's signal reaches the model).
 */
import { Hono } from 'hono';
import type { ChatModel, ChatRequest, ChatStreamPart, TokenUsage } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { checkPromptLength, hasImageParts, toChatMessages } from '../openai/chat-messages.ts';
import { type ChatRequestBody, chatRequestSchema } from '../openai/chat-request-schema.ts';
import {
  type CompletionIdentity,
  chatChunk,
  chatCompletion,
  newCompletionIdentity,
  openAiFinishReason,
  toolCallsDelta,
  usageChunk,
} from '../openai/chat-response.ts';
import { penalties } from '../openai/penalties.ts';
import { type SendEvent, streamAnswer } from '../openai/stream-answer.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

/** Tokens generated when the client sets no limit, within the model's context. */
const DEFAULT_MAX_TOKENS = 1024;

export function chatCompletionsRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits } = services;

  app.post('/v1/chat/completions', async (c) => {
    const body = parseWith(chatRequestSchema, await readJsonBody(c, limits.chatBodyBytes));
    if (body.messages.length > limits.maxMessages) {
      throw invalidRequest(`at most ${limits.maxMessages} messages are accepted`, 'messages', 'too_many_messages');
    }
    checkPromptLength(body.messages, limits.maxPromptChars);
    const signal = requestSignal(c);
    const wantsImages = hasImageParts(body.messages);
    const messages = await toChatMessages(body.messages, {
      limits,
      allowRemoteImages: services.remoteImages,
      signal,
    });
    const lease = await services.models.acquire(wantsImages ? 'visionChat' : 'chat', body.model, signal);
    let releasedByStream = false;
    try {
      const model = lease.model;
      if (wantsImages && !model.acceptsImages) {
        throw invalidRequest(
          `the model '${body.model}' reads text only: send no image_url parts, or use a vision model`,
          'messages',
          'images_not_supported',
        );
      }
      const request = chatRequest(body, model, messages, signal);
      const identity = newCompletionIdentity(body.model);
      // `n` answers one after another, each from its own seed (seed + index when the client set one).
      const requests = Array.from({ length: body.n ?? 1 }, (_, index) =>
        request.seed === undefined || index === 0 ? request : { ...request, seed: request.seed + index },
      );
      if (!body.stream) {
        const results = [];
        for (const each of requests) results.push(await model.generate(each));
        return c.json(chatCompletion(identity, results, totalUsage(results.map((result) => result.usage))));
      }
      let parts = model.stream(requests[0]!)[Symbol.asyncIterator]();
      const first = await parts.next();
      releasedByStream = true;
      const includeUsage = body.stream_options?.include_usage === true;
      const closeParts = () => parts.return?.();
      return streamAnswer(c, { services, signal, closeParts, release: () => lease.release() }, async (send) => {
        const usages: TokenUsage[] = [];
        for (const [index, each] of requests.entries()) {
          if (index > 0) parts = model.stream(each)[Symbol.asyncIterator]();
          await send(chatChunk(identity, { role: 'assistant', content: '' }, null, includeUsage, undefined, index));
          for (let next = index === 0 ? first : await parts.next(); !next.done; next = await parts.next()) {
            const usage = await sendPart(send, identity, next.value, includeUsage, index);
            if (usage) usages.push(usage);
          }
        }
        if (includeUsage) await send(usageChunk(identity, totalUsage(usages)));
      });
    } finally {
      if (!releasedByStream) lease.release();
    }
  });

  return app;
}

function chatRequest(
  body: ChatRequestBody,
  model: ChatModel,
  messages: ChatRequest['messages'],
  signal: AbortSignal,
): ChatRequest {
  const requested = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  if (requested !== undefined && requested > model.contextLength) {
    throw invalidRequest(
      `max_tokens ${requested} is over the model's context length of ${model.contextLength} tokens`,
      body.max_completion_tokens ? 'max_completion_tokens' : 'max_tokens',
      'max_tokens_too_large',
    );
  }
  const stop = body.stop === undefined || body.stop === null ? undefined : [body.stop].flat();
  return {
    messages,
    maxNewTokens: requested ?? Math.min(DEFAULT_MAX_TOKENS, model.contextLength),
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    ...(body.top_k ? { topK: body.top_k } : {}),
    ...penalties(body),
    ...(body.seed === undefined || body.seed === null ? {} : { seed: body.seed }),
    ...(stop ? { stop } : {}),
    ...logprobs(body),
    ...responseFormat(body.response_format),
    ...toolsAndChoice(body),
    signal,
  };
}

function logprobs(body: ChatRequestBody): Pick<ChatRequest, 'logprobs'> {
  if (body.top_logprobs !== undefined && body.top_logprobs !== null && body.logprobs !== true) {
    throw invalidRequest('top_logprobs needs logprobs: true', 'top_logprobs', 'logprobs_missing');
  }
  return body.logprobs ? { logprobs: body.top_logprobs ?? 0 } : {};
}

function responseFormat(format: ChatRequestBody['response_format']): Pick<ChatRequest, 'responseFormat'> {
  if (format?.type === 'json_object') return { responseFormat: { type: 'json' } };
  if (format?.type !== 'json_schema') return {};
  const { name, schema } = format.json_schema;
  return { responseFormat: { type: 'json', name, ...(schema === undefined ? {} : { schema }) } };
}

function toolsAndChoice(body: ChatRequestBody): Pick<ChatRequest, 'tools' | 'toolChoice'> {
  const choice = body.tool_choice ?? 'auto';
  const tools = body.tools ?? [];
  if (choice !== 'auto' && choice !== 'none' && tools.length === 0) {
    throw invalidRequest(
      'tool_choice asks for a tool call, but the request has no tools',
      'tool_choice',
      'tools_missing',
    );
  }
  if (typeof choice === 'object' && !tools.some((tool) => tool.function.name === choice.function.name)) {
    throw invalidRequest(
      `tool_choice names the function '${choice.function.name}', which is not among the tools`,
      'tool_choice',
      'unknown_tool',
    );
  }
  if (tools.length === 0 || choice === 'none') return {};
  return {
    tools: tools.map(({ function: tool }) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
    })),
    ...(choice === 'required' ? { toolChoice: 'required' as const } : {}),
    ...(typeof choice === 'object' ? { toolChoice: { name: choice.function.name } } : {}),
  };
}

/** Sends one stream part of choice `index` as OpenAI chunks; the usage when it is the finish. */
async function sendPart(
  send: SendEvent,
  identity: CompletionIdentity,
  part: ChatStreamPart,
  includeUsage: boolean,
  index: number,
): Promise<TokenUsage | undefined> {
  if (part.type === 'text-delta') {
    if (part.text !== '') {
      await send(chatChunk(identity, { content: part.text }, null, includeUsage, part.logprobs, index));
    }
    return undefined;
  }
  if (part.toolCalls?.length) {
    await send(chatChunk(identity, toolCallsDelta(part.toolCalls), null, includeUsage, undefined, index));
  }
  await send(chatChunk(identity, {}, openAiFinishReason(part.finishReason), includeUsage, undefined, index));
  return part.usage;
}

/** The prompt counted once (every answer reads the same one), the answers' tokens summed. */
function totalUsage(usages: readonly TokenUsage[]): TokenUsage {
  return {
    promptTokens: usages[0]?.promptTokens ?? 0,
    completionTokens: usages.reduce((sum, usage) => sum + usage.completionTokens, 0),
  };
}
