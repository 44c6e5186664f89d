/**
 * `POST /v1/chat/completions`: OpenAI's chat API over mmkit's `ChatModel`. Images are fetched and
 * checked before the request queues for the model; the first streamed part is awaited before the
 * response starts, so early failures still get a proper status. A client that disconnects aborts
 * the generation (the request's signal reaches the model).
 */
import { Hono } from 'hono';
import type { ChatStreamPart, TokenUsage } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { checkPromptLength, hasImageParts, toChatMessages } from '../openai/chat-messages.ts';
import { leaseChatModel } from '../openai/chat-model-lease.ts';
import { chatRequest, totalUsage } from '../openai/chat-request.ts';
import { chatRequestSchema } from '../openai/chat-request-schema.ts';
import {
  type CompletionIdentity,
  chatChunk,
  chatCompletion,
  newCompletionIdentity,
  openAiFinishReason,
  toolCallArgumentsDelta,
  toolCallStartDelta,
  toolCallsDelta,
  usageChunk,
} from '../openai/chat-response.ts';
import { partsInTurn, type SendEvent, streamAnswer } from '../openai/stream-answer.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

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
    const lease = await leaseChatModel(services, body.model, wantsImages, signal, {
      param: 'messages',
      imageParts: 'image_url',
    });
    let releasedByStream = false;
    try {
      const model = lease.model;
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
      const { parts, close } = await partsInTurn(requests, (each) => model.stream(each));
      releasedByStream = true;
      const includeUsage = body.stream_options?.include_usage === true;
      return streamAnswer(c, { services, signal, closeParts: close, release: () => lease.release() }, async (send) => {
        const usages: TokenUsage[] = [];
        let streamedCalls = new Set<string>();
        for await (const { index, part, starts } of parts) {
          if (starts) {
            streamedCalls = new Set();
            await send(chatChunk(identity, { role: 'assistant', content: '' }, null, includeUsage, undefined, index));
          }
          const usage = await sendPart(send, identity, part, includeUsage, index, streamedCalls);
          if (usage) usages.push(usage);
        }
        if (includeUsage) await send(usageChunk(identity, totalUsage(usages)));
      });
    } finally {
      if (!releasedByStream) lease.release();
    }
  });

  return app;
}

/** Sends one stream part of choice `index` as OpenAI chunks; the usage when it is the finish. */
async function sendPart(
  send: SendEvent,
  identity: CompletionIdentity,
  part: ChatStreamPart,
  includeUsage: boolean,
  index: number,
  /** The ids of this choice's calls streamed so far. */
  streamedCalls: Set<string>,
): Promise<TokenUsage | undefined> {
  if (part.type === 'text-delta') {
    if (part.text !== '') {
      await send(chatChunk(identity, { content: part.text }, null, includeUsage, part.logprobs, index));
    }
    return undefined;
  }
  if (part.type === 'reasoning-delta') {
    await send(chatChunk(identity, { reasoning_content: part.text }, null, includeUsage, undefined, index));
    return undefined;
  }
  if (part.type === 'tool-call-start') {
    streamedCalls.add(part.id);
    const delta = toolCallStartDelta(part.index, part.id, part.name);
    await send(chatChunk(identity, delta, null, includeUsage, undefined, index));
    return undefined;
  }
  if (part.type === 'tool-call-delta') {
    const delta = toolCallArgumentsDelta(part.index, part.argumentsDelta);
    await send(chatChunk(identity, delta, null, includeUsage, undefined, index));
    return undefined;
  }
  // Calls the model did not stream come whole, at their place among the answer's calls.
  const unsent = (part.toolCalls ?? [])
    .map((call, position) => ({ call, index: position }))
    .filter(({ call }) => !streamedCalls.has(call.id));
  if (unsent.length > 0) {
    await send(chatChunk(identity, toolCallsDelta(unsent), null, includeUsage, undefined, index));
  }
  await send(chatChunk(identity, {}, openAiFinishReason(part.finishReason), includeUsage, undefined, index));
  return part.usage;
}
