/**
 * Spec chat messages → the `messages` of an OpenAI chat completion request. Images become
 * `image_url` parts holding `data:` URLs whose media type comes from the bytes themselves.
 */
import { MmkitError } from '../../../errors.ts';
import type { ChatMessage, ContentPart } from '../../spec/index.ts';
import { sniffImageMediaType } from './image-media-type.ts';

export type WireContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface WireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | WireContentPart[] | null;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
}

/** Spec tool calls on the wire (OpenAI's shape). */
export function wireToolCalls(calls: readonly { id: string; name: string; arguments: string }[]): WireToolCall[] {
  return calls.map((call) => ({
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
}

/** A message's tool fields on the wire, when it has any. */
function toolFields(message: ChatMessage): Pick<WireMessage, 'tool_calls' | 'tool_call_id'> {
  return {
    ...(message.toolCalls?.length ? { tool_calls: wireToolCalls(message.toolCalls) } : {}),
    ...(message.toolCallId === undefined ? {} : { tool_call_id: message.toolCallId }),
  };
}

export function toWireMessages(
  messages: ChatMessage[],
  options: { acceptsImages: boolean; model: string },
): WireMessage[] {
  if (messages.length === 0) {
    throw new MmkitError('chat request has no messages', { code: 'invalid_chat_request', param: 'messages' });
  }
  return messages.map((message, messageIndex) => {
    if (typeof message.content === 'string') {
      // An assistant turn that only called tools has no text: OpenAI wants null there.
      const content = message.content === '' && message.toolCalls?.length ? null : message.content;
      return { role: message.role, content, ...toolFields(message) };
    }
    const where = `messages[${messageIndex}]`;
    const hasImages = message.content.some((part) => part.type === 'image');
    if (!hasImages) return { role: message.role, content: textContent(message.content), ...toolFields(message) };
    if (message.role !== 'user') {
      throw new MmkitError(`${where}: only user messages may hold images (this one is '${message.role}')`, {
        code: 'invalid_chat_request',
        param: where,
      });
    }
    if (!options.acceptsImages) {
      throw new MmkitError(`${where}: model '${options.model}' does not accept images (acceptsImages is false)`, {
        code: 'images_unsupported',
        param: where,
      });
    }
    return {
      role: message.role,
      content: message.content.map((part, partIndex) => wirePart(part, `${where}.content[${partIndex}]`)),
    };
  });
}

/** One text part goes as a plain string, which every engine (even text-only ones) understands. */
function textContent(parts: ContentPart[]): string | WireContentPart[] {
  const texts = parts.map((part) => ({ type: 'text' as const, text: part.type === 'text' ? part.text : '' }));
  return texts.length === 1 ? texts[0].text : texts;
}

function wirePart(part: ContentPart, where: string): WireContentPart {
  if (part.type === 'text') return { type: 'text', text: part.text };
  return { type: 'image_url', image_url: { url: imageDataUrl(part.data, part.mediaType, where) } };
}

export function imageDataUrl(data: Uint8Array, declaredMediaType: string | undefined, where: string): string {
  if (data.length === 0) {
    throw new MmkitError(`${where}: the image is empty`, { code: 'image_unreadable', param: where });
  }
  const mediaType = sniffImageMediaType(data) ?? (declaredMediaType?.startsWith('image/') ? declaredMediaType : '');
  if (!mediaType) {
    throw new MmkitError(`${where}: not a JPEG, PNG, GIF, WebP or BMP image`, {
      code: 'image_unsupported',
      param: where,
    });
  }
  return `data:${mediaType};base64,${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}
