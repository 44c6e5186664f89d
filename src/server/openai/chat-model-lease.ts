/**
 * The chat model a chat or Responses request names, leased from its queue: the vision-chat one when
 * the conversation holds images, refused (and released) when that model reads text only.
 */
import type { ChatModel } from '../../models/spec/index.ts';
import { invalidRequest } from '../http-errors.ts';
import type { ServerServices } from '../server-context.ts';

export interface ChatModelLease {
  model: ChatModel;
  release(): void;
}

export async function leaseChatModel(
  services: ServerServices,
  name: string,
  wantsImages: boolean,
  signal: AbortSignal,
  /** The request's field holding the conversation, and what its image parts are called. */
  where: { param: string; imageParts: string },
): Promise<ChatModelLease> {
  const lease = await services.models.acquire(wantsImages ? 'visionChat' : 'chat', name, signal);
  if (wantsImages && !lease.model.acceptsImages) {
    lease.release();
    throw invalidRequest(
      `the model '${name}' reads text only: send no ${where.imageParts} parts, or use a vision model`,
      where.param,
      'images_not_supported',
    );
  }
  return lease;
}
