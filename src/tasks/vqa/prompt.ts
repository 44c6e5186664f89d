/**
 * The chat messages of a question about an image. The model's own chat template (applied by the
 * provider) turns them into its prompt: here there are only messages, an image part and text parts.
 * The image goes once, in the first user turn, with the OCR text when there is some; later turns are
 * plain text. The OCR instruction is written in the question's language.
 */
import type { ChatMessage, ContentPart } from '../../models/spec/index.ts';
import type { VqaImage } from './image-input.ts';

export interface VqaTurn {
  question: string;
  answer: string;
}

/** Longest OCR text put in the prompt, in characters; a screenshot's worth. */
export const MAX_OCR_PROMPT_CHARACTERS = 2000;

const HAN = /\p{Script=Han}/u;

/** `zh` when the question is written in Chinese (any Han character), else `en`. */
export function questionLanguage(question: string): 'zh' | 'en' {
  return HAN.test(question) ? 'zh' : 'en';
}

function clip(text: string): string {
  const characters = Array.from(text.trim());
  if (characters.length <= MAX_OCR_PROMPT_CHARACTERS) return characters.join('');
  return `${characters.slice(0, MAX_OCR_PROMPT_CHARACTERS).join('')}…`;
}

/** The user text of the first turn: the OCR context (if any), then the question. */
export function groundedQuestion(question: string, ocrText: string | undefined): string {
  if (ocrText === undefined || ocrText.trim() === '') return question;
  const text = clip(ocrText);
  if (questionLanguage(question) === 'zh') {
    return `图片中经 OCR 识别出的文字如下（可能有识别错误）：\n"""\n${text}\n"""\n回答问题时请参考这些文字。\n\n问题：${question}`;
  }
  return `Text read from the image by OCR (it may contain recognition errors):\n"""\n${text}\n"""\nUse this text when it helps to answer.\n\nQuestion: ${question}`;
}

export interface VqaMessagesInput {
  image: VqaImage;
  question: string;
  history?: readonly VqaTurn[];
  /** Recognised text to ground the first turn in. */
  ocrText?: string;
}

export function buildVqaMessages(input: VqaMessagesInput): ChatMessage[] {
  const history = input.history ?? [];
  const firstQuestion = history.length > 0 ? history[0].question : input.question;
  const imagePart: ContentPart = { type: 'image', data: input.image.bytes, mediaType: input.image.mediaType };
  const messages: ChatMessage[] = [
    { role: 'user', content: [imagePart, { type: 'text', text: groundedQuestion(firstQuestion, input.ocrText) }] },
  ];
  history.forEach((turn, index) => {
    messages.push({ role: 'assistant', content: turn.answer });
    const next = index + 1 < history.length ? history[index + 1].question : input.question;
    messages.push({ role: 'user', content: next });
  });
  return messages;
}
