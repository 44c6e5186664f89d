/**
 * OpenAI's Responses API over mmkit's `ChatModel`: `POST /v1/responses` (whole or streamed as
 * Responses events), and the stored responses: `GET /v1/responses/{id}`, `DELETE
 * /v1/responses/{id}`, `GET /v1/responses/{id}/input_items`. The request becomes the same
 * `ChatRequest` the chat route makes (one meaning for each setting); a client that disconnects
 * aborts the generation. What OpenAI runs on its own side (hosted tools, files, background runs,
 * conversations, prompt templates) is refused by name.
 */
import { Hono } from 'hono';
import { isMmkitError, MmkitError } from '../../errors.ts';
import type { ChatResult } from '../../models/spec/index.ts';
import { invalidRequest, notFound } from '../http-errors.ts';
import { requestSignal } from '../middleware/request-context.ts';
import { leaseChatModel } from '../openai/chat-model-lease.ts';
import { chatRequest } from '../openai/chat-request.ts';
import type { ChatRequestBody } from '../openai/chat-request-schema.ts';
import { ResponseEventWriter } from '../openai/response-events.ts';
import {
  itemId,
  newResponseIdentity,
  outputItems,
  type ResponseIdentity,
  type ResponseObject,
  type ResponseState,
  responseObject,
} from '../openai/response-object.ts';
import type { StoredInputItem } from '../openai/response-store.ts';
import { chatMessagesOf, conversationOf } from '../openai/responses-input.ts';
import {
  type ResponsesInputItem,
  type ResponsesRequestBody,
  responsesRequestSchema,
} from '../openai/responses-request-schema.ts';
import { partsInTurn, streamAnswer } from '../openai/stream-answer.ts';
import type { ServerEnv, ServerServices } from '../server-context.ts';
import { parseWith, readJsonBody } from '../validation.ts';

export function responsesRoutes(services: ServerServices): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  const { limits, responses: store } = services;

  app.post('/v1/responses', async (c) => {
    const body = parseWith(responsesRequestSchema, await readJsonBody(c, limits.chatBodyBytes));
    refuseHostedFeatures(body);
    const signal = requestSignal(c);
    const conversation = await conversationOf(body, store);
    const { messages, wantsImages } = await chatMessagesOf(conversation, {
      limits,
      allowRemoteImages: services.remoteImages,
      signal,
    });
    const lease = await leaseChatModel(services, body.model, wantsImages, signal, {
      param: 'input',
      imageParts: 'input_image',
    });
    let releasedByStream = false;
    try {
      const model = lease.model;
      const request = withRequestParams(() => chatRequest(chatBodyOf(body), model, messages, signal));
      const identity = newResponseIdentity(body.model);
      const stored = body.store !== false && store.enabled;
      const inputItems = storedItems(identity, conversation.items);
      const save = async (response: ResponseObject) => {
        if (stored) await store.save({ response, input: inputItems });
      };
      const firstItemNumber = inputItems.length;
      if (!body.stream) {
        const result = await withRequestParamsAsync(() => model.generate(request));
        const response = responseObject(identity, body, finalState(identity, result, firstItemNumber, stored));
        await save(response);
        return c.json(response);
      }
      const { parts, close } = await withRequestParamsAsync(() => partsInTurn([request], (each) => model.stream(each)));
      releasedByStream = true;
      let events: ResponseEventWriter | undefined;
      return streamAnswer(
        c,
        {
          services,
          signal,
          closeParts: close,
          release: () => lease.release(),
          ending: {
            failure: (error) => events!.failure({ error: { ...error.error, param: requestParam(error.error.param) } }),
          },
        },
        async (send) => {
          events = new ResponseEventWriter(send, identity, firstItemNumber);
          await events.start(responseObject(identity, body, { status: 'in_progress', output: [], stored }));
          for await (const { part } of parts) {
            if (part.type === 'text-delta') {
              await events.text(part.text, part.logprobs);
              continue;
            }
            if (part.type === 'reasoning-delta') {
              await events.reasoningText(part.text);
              continue;
            }
            if (part.type === 'tool-call-start') {
              await events.toolCallStart(part.id, part.name);
              continue;
            }
            if (part.type === 'tool-call-delta') {
              await events.toolCallArguments(part.index, part.argumentsDelta);
              continue;
            }
            const output = await events.finish(part);
            const status = part.finishReason === 'length' ? 'incomplete' : 'completed';
            const response = responseObject(identity, body, { status, output, usage: part.usage, stored });
            await save(response);
            await events.complete(response);
          }
        },
      );
    } finally {
      if (!releasedByStream) lease.release();
    }
  });

  app.get('/v1/responses/:id', async (c) => {
    const stored = await store.get(c.req.param('id'));
    if (!stored) throw responseNotFound(c.req.param('id'));
    return c.json(stored.response);
  });

  app.delete('/v1/responses/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await store.delete(id))) throw responseNotFound(id);
    return c.json({ id, object: 'response', deleted: true });
  });

  app.get('/v1/responses/:id/input_items', async (c) => {
    const stored = await store.get(c.req.param('id'));
    if (!stored) throw responseNotFound(c.req.param('id'));
    return c.json(inputItemsPage(stored.input, c.req.query()));
  });

  return app;
}

function responseNotFound(id: string): MmkitError {
  return notFound(`no stored response has the id '${id.slice(0, 100)}'`, 'response_not_found', 'response_id');
}

function refuseHostedFeatures(body: ResponsesRequestBody): void {
  const refused: [keyof ResponsesRequestBody, boolean, string][] = [
    ['background', body.background === true, 'background responses are not supported: stream instead'],
    ['conversation', body.conversation != null, 'conversations are not supported: use previous_response_id'],
    ['prompt', body.prompt != null, 'stored prompt templates are not supported: send instructions and input'],
  ];
  for (const [param, given, message] of refused) {
    if (given) throw invalidRequest(message, param, 'unsupported_parameter');
  }
}

/** The chat completions body that means what this Responses request means. */
function chatBodyOf(body: ResponsesRequestBody): ChatRequestBody {
  const format = body.text?.format;
  const logprobs = body.include?.includes('message.output_text.logprobs') || (body.top_logprobs ?? 0) > 0;
  const choice = body.tool_choice;
  return {
    model: body.model,
    messages: [],
    max_completion_tokens: body.max_output_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    top_k: body.top_k,
    seed: body.seed,
    stop: body.stop,
    presence_penalty: body.presence_penalty,
    frequency_penalty: body.frequency_penalty,
    repetition_penalty: body.repetition_penalty,
    tools: body.tools?.map((tool) => ({
      type: 'function' as const,
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        ...(tool.parameters ? { parameters: tool.parameters } : {}),
      },
    })),
    tool_choice: typeof choice === 'object' && choice ? { type: 'function', function: { name: choice.name } } : choice,
    response_format:
      format?.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              schema: format.schema,
              ...(format.description ? { description: format.description } : {}),
            },
          }
        : format,
    ...(logprobs ? { logprobs: true, top_logprobs: body.top_logprobs ?? 0 } : {}),
    chat_template_kwargs: body.chat_template_kwargs,
    reasoning_effort: body.reasoning?.effort,
  };
}

/** Chat parameter names in errors, as this API calls them. */
const RENAMED_PARAMS: [RegExp, string][] = [
  [/^max_completion_tokens\b/, 'max_output_tokens'],
  [/^response_format(\.json_schema)?/, 'text.format'],
  [/^tools\.(\d+)\.function/, 'tools.$1'],
];

function requestParam(param: string | null): string | null {
  if (param === null) return null;
  for (const [pattern, name] of RENAMED_PARAMS) if (pattern.test(param)) return param.replace(pattern, name);
  return param;
}

function renamed(error: unknown): unknown {
  if (!isMmkitError(error) || error.param === undefined) return error;
  const param = requestParam(error.param);
  if (param === error.param || param === null) return error;
  return new MmkitError(error.message, { code: error.code, type: error.type, status: error.status, param });
}

function withRequestParams<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw renamed(error);
  }
}

async function withRequestParamsAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw renamed(error);
  }
}

function finalState(
  identity: ResponseIdentity,
  result: ChatResult,
  firstItemNumber: number,
  stored: boolean,
): ResponseState {
  return {
    status: result.finishReason === 'length' ? 'incomplete' : 'completed',
    output: outputItems(identity, result, firstItemNumber),
    usage: result.usage,
    stored,
  };
}

/** This request's items with ids of ours, numbered before the output's. */
function storedItems(identity: ResponseIdentity, items: readonly ResponsesInputItem[]): StoredInputItem[] {
  return items.map((item, number) => {
    // References were resolved: every item here is one of the kinds below.
    const kind = item.type === 'item_reference' ? 'message' : item.type;
    return { ...item, id: itemId(identity, kind, number) } as StoredInputItem;
  });
}

/** OpenAI's list page: `limit` (1–100, default 20), `order` (`desc` by default), `after` an item id. */
function inputItemsPage(items: readonly StoredInputItem[], query: Record<string, string>) {
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw invalidRequest('limit must be a whole number from 1 to 100', 'limit', 'invalid_parameter');
  }
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw invalidRequest('order must be asc or desc', 'order', 'invalid_parameter');
  const ordered = order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (query.after !== undefined) {
    start = ordered.findIndex((item) => item.id === query.after) + 1;
    if (start === 0)
      throw invalidRequest(`no input item has the id '${query.after.slice(0, 100)}'`, 'after', 'item_not_found');
  }
  const data = ordered.slice(start, start + limit);
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < ordered.length,
  };
}
