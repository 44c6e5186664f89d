/**
 * Chat messages to model inputs. Text-only models render the chat template with the tokenizer;
 * vision-language models render it with the processor (image parts become `{type: 'image'}`
 * placeholders the template expands) and hand the decoded images to the processor alongside.
 */
import type { PreTrainedTokenizer, Processor, RawImage, Tensor } from '@huggingface/transformers';
import { decodeRawImage } from '../../../preprocess/image/raw-image.ts';
import type { ChatMessage, ContentPart, ToolDefinition } from '../../spec/index.ts';
import { isTemplateVariableName } from '../../template-variables.ts';
import type { PreparedPrompt } from './generation-run.ts';

type TemplateContent = string | ({ type: 'text'; text: string } | { type: 'image' })[];
interface TemplateMessage {
  role: string;
  content: TemplateContent;
  tool_calls?: { type: 'function'; function: { name: string; arguments: unknown } }[];
  tool_call_id?: string;
}

/** A message's tool fields as Hugging Face chat templates read them (arguments as an object). */
function templateToolFields(message: ChatMessage): Pick<TemplateMessage, 'tool_calls' | 'tool_call_id'> {
  const parsed = (text: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  };
  return {
    ...(message.toolCalls?.length
      ? {
          tool_calls: message.toolCalls.map((call) => ({
            type: 'function' as const,
            function: { name: call.name, arguments: parsed(call.arguments) },
          })),
        }
      : {}),
    ...(message.toolCallId === undefined ? {} : { tool_call_id: message.toolCallId }),
  };
}

/** The template's `tools` (OpenAI's function shape, which Hugging Face templates expect). */
function templateTools(tools: readonly ToolDefinition[] | undefined): { tools?: unknown[] } {
  if (!tools?.length) return {};
  return { tools: tools.map((tool) => ({ type: 'function', function: tool })) };
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
    ...templateToolFields(message),
  }));
}

function promptLength(inputIds: unknown): number {
  return (inputIds as Tensor).dims.at(-1) ?? 0;
}

/** What the chat template is rendered with besides the messages. */
export interface TemplateSettings {
  /** A template of the model folder's own file, where the tokenizer config has none. */
  chatTemplate?: string | undefined;
  tools?: readonly ToolDefinition[] | undefined;
  /** The request's own variables (`enable_thinking`…); they cannot replace the ones set here. */
  variables?: Record<string, unknown> | undefined;
}

function templateOptions(settings: TemplateSettings): Record<string, unknown> {
  // Checked where they come in; here too, so no caller can swap the template through them.
  const variables = Object.entries(settings.variables ?? {}).filter(([name]) => isTemplateVariableName(name));
  return {
    ...Object.fromEntries(variables),
    add_generation_prompt: true,
    ...templateTools(settings.tools),
    ...(settings.chatTemplate === undefined ? {} : { chat_template: settings.chatTemplate }),
  };
}

export function prepareTextPrompt(
  tokenizer: PreTrainedTokenizer,
  messages: readonly ChatMessage[],
  settings: TemplateSettings = {},
): PreparedPrompt {
  const inputs = tokenizer.apply_chat_template(textOnlyMessages(messages) as never, {
    ...templateOptions(settings),
    return_dict: true,
  }) as unknown as Record<string, unknown>;
  return { inputs, promptTokens: promptLength(inputs.input_ids) };
}

function decodeImage(data: Uint8Array, index: number): Promise<RawImage> {
  return decodeRawImage(data, { name: `image part ${index + 1}`, param: 'messages' });
}

export async function prepareVisionPrompt(
  processor: Processor,
  messages: readonly ChatMessage[],
  settings: TemplateSettings = {},
): Promise<PreparedPrompt> {
  const images: RawImage[] = [];
  const templateMessages: TemplateMessage[] = [];
  for (const message of messages) {
    if (typeof message.content === 'string') {
      templateMessages.push({ role: message.role, content: message.content, ...templateToolFields(message) });
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
    templateMessages.push({ role: message.role, content, ...templateToolFields(message) });
  }
  const text = processor.apply_chat_template(templateMessages as never, {
    ...templateOptions(settings),
    tokenize: false,
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
