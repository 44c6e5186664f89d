/**
 * A Responses API request's conversation as chat messages (the chat route's wire shape, so images
 * are fetched and checked the same way): `instructions` as a system message, the stored responses
 * before it (`previous_response_id`: each one's input and output, oldest first), then this
 * request's items. Function calls join the assistant turn they follow; their outputs become tool
 * messages; `item_reference`s are looked up in the store; reasoning items are skipped (a chat model
 * has none of its own).
 */
import { isMmkitError, MmkitError } from '../../errors.ts';
import type { ChatMessage } from '../../models/spec/index.ts';
import { invalidRequest, notFound } from '../http-errors.ts';
import { type ConvertOptions, checkPromptLength, hasImageParts, toChatMessages } from './chat-messages.ts';
import type { ChatRequestMessage } from './chat-request-schema.ts';
import type { ResponseStore } from './response-store.ts';
import type { ResponsesInputItem, ResponsesRequestBody } from './responses-request-schema.ts';

/** The most stored responses one `previous_response_id` chain reaches back through. */
const MAX_CHAIN = 256;

export interface ResponsesConversation {
  messages: ChatRequestMessage[];
  /** Where each message came from (`input.3`, `instructions`, `previous_response_id`), for error params. */
  origins: string[];
  /** This request's input items, references resolved: what is stored with the response. */
  items: ResponsesInputItem[];
}

export async function conversationOf(body: ResponsesRequestBody, store: ResponseStore): Promise<ResponsesConversation> {
  const given: ResponsesInputItem[] =
    typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : body.input;
  const items: ResponsesInputItem[] = [];
  for (const [index, item] of given.entries()) {
    if (item.type !== 'item_reference') {
      items.push(item);
      continue;
    }
    const found = await store.item(item.id);
    if (!found) {
      throw notFound(`no stored item has the id '${item.id}'`, 'item_not_found', `input.${index}.id`);
    }
    items.push(found as ResponsesInputItem);
  }
  const conversation: ResponsesConversation = { messages: [], origins: [], items };
  if (body.instructions) add(conversation, { role: 'system', content: body.instructions }, 'instructions');
  if (body.previous_response_id) {
    for (const item of await history(store, body.previous_response_id)) {
      addItem(conversation, item, 'previous_response_id');
    }
  }
  for (const [index, item] of items.entries()) addItem(conversation, item, `input.${index}`);
  if (conversation.messages.length === 0) {
    throw invalidRequest('the input holds no message to answer', 'input', 'empty_input');
  }
  return conversation;
}

/** The items of the stored responses up to `id`, oldest first: each one's input, then its output. */
async function history(store: ResponseStore, id: string): Promise<ResponsesInputItem[]> {
  const chain: ResponsesInputItem[][] = [];
  let next: string | null = id;
  while (next) {
    const stored = await store.get(next);
    if (!stored) {
      throw invalidRequest(
        `no stored response has the id '${next}' (responses are kept only with store: true)`,
        'previous_response_id',
        'previous_response_not_found',
      );
    }
    chain.push([...stored.input, ...(stored.response.output as ResponsesInputItem[])]);
    next = stored.response.previous_response_id;
    if (chain.length > MAX_CHAIN) {
      throw invalidRequest(
        `the chain of previous responses is longer than ${MAX_CHAIN}`,
        'previous_response_id',
        'conversation_too_long',
      );
    }
  }
  return chain.reverse().flat();
}

function add(conversation: ResponsesConversation, message: ChatRequestMessage, origin: string): void {
  conversation.messages.push(message);
  conversation.origins.push(origin);
}

function addItem(conversation: ResponsesConversation, item: ResponsesInputItem, origin: string): void {
  switch (item.type) {
    case 'reasoning':
    case 'item_reference':
      return;
    case 'function_call': {
      const call = {
        id: item.call_id,
        type: 'function' as const,
        function: { name: item.name, arguments: item.arguments },
      };
      const last = conversation.messages.at(-1);
      // Calls made in one turn, with or without text before them, are one assistant message.
      if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
      else add(conversation, { role: 'assistant', content: null, tool_calls: [call] }, origin);
      return;
    }
    case 'function_call_output':
      add(conversation, { role: 'tool', tool_call_id: item.call_id, content: outputTextOf(item, origin) }, origin);
      return;
    case 'message':
      add(conversation, { role: item.role, content: contentOf(item, origin) }, origin);
      return;
  }
}

function outputTextOf(item: Extract<ResponsesInputItem, { type: 'function_call_output' }>, origin: string): string {
  if (typeof item.output === 'string') return item.output;
  return item.output
    .map((part, index) => {
      if (part.type === 'input_text' && typeof part.text === 'string') return part.text;
      throw invalidRequest(
        `function_call_output parts must be input_text; got ${part.type}`,
        `${origin}.output.${index}`,
        'unsupported_content',
      );
    })
    .join('');
}

function contentOf(
  item: Extract<ResponsesInputItem, { type: 'message' }>,
  origin: string,
): ChatRequestMessage['content'] {
  if (typeof item.content === 'string') return item.content;
  return item.content.map((part, index) => {
    const param = `${origin}.content.${index}`;
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return { type: 'text' as const, text: part.text };
      case 'refusal':
        return { type: 'text' as const, text: part.refusal };
      case 'input_image':
        if (!part.image_url) {
          throw invalidRequest(
            'input_image needs an image_url (a data URL or http(s) URL): uploaded file ids are not supported',
            `${param}.image_url`,
            'file_ids_unsupported',
          );
        }
        return {
          type: 'image_url' as const,
          image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) },
        };
      default:
        throw invalidRequest('input_file parts are not supported: send text or images', param, 'files_unsupported');
    }
  });
}

/**
 * The conversation's chat messages with images fetched and checked (as on the chat route), length
 * limits applied; errors name the request's own fields (`input.2.content.0.image_url`).
 */
export async function chatMessagesOf(
  conversation: ResponsesConversation,
  options: ConvertOptions,
): Promise<{ messages: ChatMessage[]; wantsImages: boolean }> {
  const { limits } = options;
  if (conversation.messages.length > limits.maxMessages) {
    throw invalidRequest(`at most ${limits.maxMessages} messages are accepted`, 'input', 'too_many_messages');
  }
  try {
    checkPromptLength(conversation.messages, limits.maxPromptChars);
    return {
      messages: await toChatMessages(conversation.messages, options),
      wantsImages: hasImageParts(conversation.messages),
    };
  } catch (error) {
    throw withRequestParam(error, conversation.origins);
  }
}

/** An error naming `messages.N…` renamed after where message N came from in the request. */
function withRequestParam(error: unknown, origins: readonly string[]): unknown {
  if (!isMmkitError(error)) return error;
  const param = error.param === 'messages' ? 'input' : error.param;
  const match = /^messages\.(\d+)(.*)$/.exec(param ?? '');
  const renamed = match ? `${origins[Number(match[1])] ?? 'input'}${match[2]}` : param;
  if (renamed === error.param) return error;
  return new MmkitError(error.message, {
    code: error.code,
    type: error.type,
    status: error.status,
    cause: error.cause,
    ...(renamed === undefined ? {} : { param: renamed }),
  });
}
