/**
 * One question/answer row as the model sees it in training: the chat template renders the user turn
 * (image part + question) with the generation prompt, and the whole exchange with the answer as the
 * assistant turn; the processor expands the image token and tokenizes both, exactly as it does for
 * inference (`models/providers/onnx/chat-prompt.ts`). The prompt's token count is where the labels
 * start; the image is preprocessed into `pixel_values` for the vision encoder.
 */
import type { Processor, RawImage, Tensor } from '@huggingface/transformers';
import { MmkitError } from '../../errors.ts';
import { IMAGE_FIRST_PROCESSORS } from '../../models/providers/onnx/chat-prompt.ts';

export interface TokenizedConversation {
  inputIds: number[];
  labelStart: number;
  /** The processor's image tensors (`pixel_values`, and `pixel_attention_mask` for Idefics3/SmolVLM). */
  imageInputs: Record<string, Tensor>;
}

type Part = { type: 'image' } | { type: 'text'; text: string };

/** The conversation in the chat template's message form (TRL's conversational form too). */
export function trainingMessages(question: string, answer?: string): { role: string; content: Part[] }[] {
  const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] as Part[] }];
  if (answer !== undefined) messages.push({ role: 'assistant', content: [{ type: 'text', text: answer }] });
  return messages;
}

async function processText(processor: Processor, image: RawImage, text: string): Promise<Record<string, Tensor>> {
  const imageFirst = IMAGE_FIRST_PROCESSORS.has(processor.constructor.name);
  return (imageFirst ? await processor(image, text) : await processor(text, image)) as Record<string, Tensor>;
}

const ids = (tensor: Tensor): number[] => Array.from(tensor.data as BigInt64Array, Number);

export async function tokenizeConversation(
  processor: Processor,
  chatTemplate: string | undefined,
  model: string,
  image: RawImage,
  question: string,
  answer: string,
): Promise<TokenizedConversation> {
  const template = chatTemplate === undefined ? {} : { chat_template: chatTemplate };
  const promptText = processor.apply_chat_template(trainingMessages(question) as never, {
    add_generation_prompt: true,
    tokenize: false,
    ...template,
  }) as unknown as string;
  const fullText = processor.apply_chat_template(trainingMessages(question, answer) as never, {
    tokenize: false,
    ...template,
  }) as unknown as string;
  if (!fullText.startsWith(promptText) || fullText.length === promptText.length) {
    throw new MmkitError(
      `the chat template of ${model} does not write the answer after the generation prompt, so the answer's tokens cannot be found`,
      { code: 'unsupported_chat_template', param: 'model', type: 'unsupported_error' },
    );
  }
  const prompt = await processText(processor, image, promptText);
  const full = await processText(processor, image, fullText);
  const promptIds = ids(prompt.input_ids);
  const inputIds = ids(full.input_ids);
  if (promptIds.some((token, index) => inputIds[index] !== token)) {
    throw new MmkitError(
      `${model}: the tokens of the prompt are not a prefix of the tokens of the whole conversation, so the answer's tokens cannot be found`,
      { code: 'unsupported_chat_template', param: 'model', type: 'unsupported_error' },
    );
  }
  const { input_ids: _ids, attention_mask: _mask, ...imageInputs } = full;
  return { inputIds, labelStart: promptIds.length, imageInputs };
}
