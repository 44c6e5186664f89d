/**
 * OpenAI messages → mmkit `ChatMessage`s: `developer` is a system message, `image_url` parts are
 * fetched/decoded and checked (`acceptImage`), and the prompt's total length is bounded.
 */
import type { ChatMessage, ContentPart } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { acceptImage } from '../media/accept-image.ts';
import { imageUrlBytes } from '../media/image-url.ts';
import type { ServerLimits } from '../server-options.ts';
import type { ChatRequestMessage } from './chat-request-schema.ts';

export interface ConvertOptions {
  limits: ServerLimits;
  allowRemoteImages: boolean;
  signal?: AbortSignal;
}

export function hasImageParts(messages: readonly ChatRequestMessage[]): boolean {
  return messages.some(
    (message) => Array.isArray(message.content) && message.content.some((part) => part.type === 'image_url'),
  );
}

/** Characters of text over every message, checked before any image is fetched. */
export function checkPromptLength(messages: readonly ChatRequestMessage[], maxChars: number): void {
  let total = 0;
  for (const message of messages) {
    if (typeof message.content === 'string') total += message.content.length;
    else for (const part of message.content ?? []) if (part.type === 'text') total += part.text.length;
  }
  if (total > maxChars) {
    throw invalidRequest(
      `the messages hold ${total} characters of text, over the limit of ${maxChars}`,
      'messages',
      'prompt_too_long',
    );
  }
}

export async function toChatMessages(
  messages: readonly ChatRequestMessage[],
  options: ConvertOptions,
): Promise<ChatMessage[]> {
  const converted: ChatMessage[] = [];
  for (const [index, message] of messages.entries()) {
    const role = message.role === 'developer' ? 'system' : message.role;
    const tools = {
      ...(message.tool_calls?.length
        ? {
            toolCalls: message.tool_calls.map((call) => ({
              id: call.id,
              name: call.function.name,
              arguments: call.function.arguments,
            })),
          }
        : {}),
      ...(message.tool_call_id === undefined ? {} : { toolCallId: message.tool_call_id }),
    };
    if (message.content === null || message.content === undefined || typeof message.content === 'string') {
      converted.push({ role, content: message.content ?? '', ...tools });
      continue;
    }
    const parts: ContentPart[] = [];
    for (const [partIndex, part] of message.content.entries()) {
      if (part.type === 'text') {
        parts.push({ type: 'text', text: part.text });
        continue;
      }
      if (role !== 'user') {
        throw invalidRequest(`images are accepted in user messages only`, `messages.${index}.content.${partIndex}`);
      }
      const param = `messages.${index}.content.${partIndex}.image_url`;
      const bytes = await imageUrlBytes(part.image_url.url, {
        maxBytes: options.limits.remoteImageBytes,
        timeoutMs: options.limits.remoteImageTimeoutMs,
        allowRemote: options.allowRemoteImages,
        param,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const image = await acceptImage(bytes, {
        maxPixels: options.limits.maxPixels,
        param,
        unknownFormatStatus: 400,
      });
      parts.push({ type: 'image', data: image.bytes, mediaType: image.mediaType });
    }
    converted.push({ role, content: parts, ...tools });
  }
  return converted;
}
