/**
 * Chat messages to model inputs. Text-only models render the chat template with the tokenizer;
 * vision-language models render it with the processor (image parts become `{type: 'image'}`
 * placeholders the template expands) and hand the decoded images to the processor alongside.
 */
import type { PreTrainedTokenizer, Processor, RawImage, Tensor } from '@huggingface/transformers';
import { decodeRawImage } from '../../../preprocess/image/raw-image.ts';
import type { ChatMessage, ContentPart } from '../../spec/index.ts';
import type { PreparedPrompt } from './generation-run.ts';

type TemplateContent = string | ({ type: 'text'; text: string } | { type: 'image' })[];
interface TemplateMessage {
  role: string;
  content: TemplateContent;
}

/** Processors whose call takes `(images, text)`; the rest take `(text, images)`. */
export const IMAGE_FIRST_PROCESSORS = new Set([
  'LlavaProcessor',
  'PaliGemmaProcessor',
  'PixtralProcessor',
  'Lfm2VlProcessor',
  'Florence2Processor',
]);

function partsOf(message: ChatMessage): ContentPart[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

export function countImages(messages: readonly ChatMessage[]): number {
  return messages.reduce(
    (count, message) => count + partsOf(message).filter((part) => part.type === 'image').length,
    0,
  );
}

function textOnlyMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  return messages.map((message) => ({
    role: message.role,
    content: partsOf(message)
      .map((part) => (part.type === 'text' ? part.text : ''))
      .join(''),
  }));
}

function promptLength(inputIds: unknown): number {
  return (inputIds as Tensor).dims.at(-1) ?? 0;
}

export function prepareTextPrompt(
  tokenizer: PreTrainedTokenizer,
  messages: readonly ChatMessage[],
  chatTemplate: string | undefined,
): PreparedPrompt {
  const inputs = tokenizer.apply_chat_template(textOnlyMessages(messages) as never, {
    add_generation_prompt: true,
    return_dict: true,
    ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
  }) as unknown as Record<string, unknown>;
  return { inputs, promptTokens: promptLength(inputs.input_ids) };
}

function decodeImage(data: Uint8Array, index: number): Promise<RawImage> {
  return decodeRawImage(data, { name: `image part ${index + 1}`, param: 'messages' });
}

export async function prepareVisionPrompt(
  processor: Processor,
  messages: readonly ChatMessage[],
  chatTemplate: string | undefined,
): Promise<PreparedPrompt> {
  const images: RawImage[] = [];
  const templateMessages: TemplateMessage[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      templateMessages.push({ role: message.role, content: message.content });
      continue;
    }
    const content: Exclude<TemplateContent, string> = [];
    for (const part of message.content) {
      if (part.type === 'text') {
        content.push({ type: 'text', text: part.text });
      } else {
        images.push(await decodeImage(part.data, images.length));
        content.push({ type: 'image' });
      }
    }
    templateMessages.push({ role: message.role, content });
  }
  const text = processor.apply_chat_template(templateMessages as never, {
    add_generation_prompt: true,
    tokenize: false,
    ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
  }) as unknown as string;
  let inputs: Record<string, unknown>;
  if (images.length === 0) {
    // The template already wrote the special tokens.
    inputs = processor.tokenizer!(text, { add_special_tokens: false }) as unknown as Record<string, unknown>;
  } else {
    const imageFirst = IMAGE_FIRST_PROCESSORS.has(processor.constructor.name);
    const imageArgument = images.length === 1 ? images[0] : images;
    inputs = (imageFirst ? await processor(imageArgument, text) : await processor(text, imageArgument)) as Record<
      string,
      unknown
    >;
  }
  return { inputs, promptTokens: promptLength(inputs.input_ids) };
}
