/**
 * The form of `POST /api/ask`, checked strictly before any model work: text fields through one zod
 * schema (numbers arrive as strings), `history` as a JSON array of alternating user/assistant turns,
 * and the image either as a new file or as the `image_id` of an earlier upload.
 */
import { z } from 'zod';
import { OCR_MODES, type OcrMode, type VqaTurn } from '../../tasks/vqa/index.ts';
import { invalidRequest } from '../http-errors.ts';
import { formField, type MultipartForm } from '../multipart.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import { NO_CONTROL_CHARACTERS, parseWith } from '../validation.ts';
import { numberField } from './form-numbers.ts';

/** Earlier turns a follow-up may carry (user + assistant each count one). */
export const MAX_HISTORY_TURNS = 40;

const FIELDS = ['question', 'history', 'ocr', 'model', 'max_new_tokens', 'temperature', 'top_p', 'seed', 'image_id'];

const askFieldsSchema = z.strictObject({
  question: z.string(),
  history: z.string().optional(),
  ocr: z.enum(OCR_MODES as [OcrMode, ...OcrMode[]]).optional(),
  model: modelName.optional(),
  max_new_tokens: numberField({ integer: true, min: 1, max: 4096 }).optional(),
  temperature: numberField({ min: 0, max: 2 }).optional(),
  top_p: numberField({ min: 0.01, max: 1 }).optional(),
  seed: numberField({ integer: true, min: 0, max: 2 ** 32 - 1 }).optional(),
  image_id: z.string().max(100).optional(),
});

const turnSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters'),
});

export interface AskRequest {
  question: string;
  history: VqaTurn[];
  ocr: OcrMode;
  model: string | undefined;
  maxNewTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  seed: number | undefined;
  imageId: string | undefined;
}

export function parseAskForm(form: MultipartForm, maxQuestionChars: number, maxPromptChars: number): AskRequest {
  for (const name of form.fields.keys()) {
    if (!FIELDS.includes(name)) throw invalidRequest(`unknown form field '${name}'`, name, 'unknown_parameter');
  }
  const raw: Record<string, string> = {};
  for (const name of FIELDS) {
    const value = formField(form, name);
    if (value !== undefined) raw[name] = value;
  }
  const fields = parseWith(askFieldsSchema, raw);
  const question = fields.question.trim();
  if (question === '') throw invalidRequest('question is empty', 'question', 'question_empty');
  if (question.length > maxQuestionChars) {
    throw invalidRequest(
      `question has ${question.length} characters, over the limit of ${maxQuestionChars}`,
      'question',
      'prompt_too_long',
    );
  }
  if (!NO_CONTROL_CHARACTERS.test(question)) {
    throw invalidRequest('question must not contain NUL or other control characters', 'question', 'invalid_parameter');
  }
  const history = fields.history === undefined ? [] : parseHistory(fields.history, maxPromptChars);
  return {
    question,
    history,
    ocr: fields.ocr ?? 'auto',
    model: fields.model,
    maxNewTokens: fields.max_new_tokens,
    temperature: fields.temperature,
    topP: fields.top_p,
    seed: fields.seed,
    imageId: fields.image_id,
  };
}

function parseHistory(text: string, maxPromptChars: number): VqaTurn[] {
  if (text.length > maxPromptChars) {
    throw invalidRequest(`history is over ${maxPromptChars} characters`, 'history', 'prompt_too_long');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest('history is not valid JSON: send a JSON array of {role, content} turns', 'history');
  }
  const turns = parseWith(z.array(turnSchema).max(MAX_HISTORY_TURNS), value);
  if (turns.length % 2 !== 0) {
    throw invalidRequest('history must hold whole exchanges: a user turn, then its assistant answer', 'history');
  }
  const pairs: VqaTurn[] = [];
  for (let index = 0; index < turns.length; index += 2) {
    const asked = turns[index]!;
    const answered = turns[index + 1]!;
    if (asked.role !== 'user' || answered.role !== 'assistant') {
      throw invalidRequest('history turns must alternate user, assistant (oldest first)', `history.${index}.role`);
    }
    pairs.push({ question: asked.content, answer: answered.content });
  }
  return pairs;
}
