/**
 * The seed's answer settings (SPEC §2: `max_new_tokens` 200, `temperature` 0.3, `top_p` 0.9,
 * sampling on) and the checks on a question, both done before any image or model work.
 */
import { MmkitError } from '../../errors.ts';
import type { ChatModel, SamplingSettings } from '../../models/spec/index.ts';

export const VQA_DEFAULTS = { maxNewTokens: 200, temperature: 0.3, topP: 0.9 } as const;

/**
 * No tokenizer we know packs more than this many characters into one token on average, so a
 * question longer than `contextLength` × this cannot fit, whatever the model: refused without
 * tokenizing. The provider counts the real prompt tokens afterwards.
 */
export const MAX_CHARACTERS_PER_TOKEN = 16;

export interface VqaSamplingOptions {
  maxNewTokens?: number;
  /** 0 means greedy decoding. */
  temperature?: number;
  topP?: number;
  /** Same seed, same question and image → the same answer. */
  seed?: number;
}

function invalid(param: string, rule: string, value: unknown): MmkitError {
  return new MmkitError(`${param} must be ${rule}, got ${String(value)}`, { code: 'invalid_sampling', param });
}

export function resolveSampling(options: VqaSamplingOptions): SamplingSettings {
  const maxNewTokens = options.maxNewTokens ?? VQA_DEFAULTS.maxNewTokens;
  const temperature = options.temperature ?? VQA_DEFAULTS.temperature;
  const topP = options.topP ?? VQA_DEFAULTS.topP;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw invalid('maxNewTokens', 'an integer ≥ 1', maxNewTokens);
  }
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw invalid('temperature', 'a number ≥ 0', temperature);
  if (!(topP > 0 && topP <= 1)) throw invalid('topP', 'a number in (0, 1]', topP);
  if (options.seed !== undefined && !(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw invalid('seed', 'a non-negative integer', options.seed);
  }
  return { maxNewTokens, temperature, topP, ...(options.seed === undefined ? {} : { seed: options.seed }) };
}

/** The question, trimmed; an empty one is refused (checked before any model is loaded). */
export function requireQuestion(question: string): string {
  const trimmed = typeof question === 'string' ? question.trim() : '';
  if (trimmed === '') {
    throw new MmkitError('the question is empty: ask something about the image', {
      code: 'question_empty',
      param: 'question',
    });
  }
  return trimmed;
}

/** The question, trimmed; empty or hopelessly long questions are refused. */
export function checkQuestion(question: string, model: Pick<ChatModel, 'contextLength' | 'description'>): string {
  const trimmed = requireQuestion(question);
  const characters = Array.from(trimmed).length;
  if (characters > model.contextLength * MAX_CHARACTERS_PER_TOKEN) {
    throw questionTooLong(
      model,
      `${characters} characters cannot fit in the model's context of ${model.contextLength} tokens`,
    );
  }
  return trimmed;
}

export function questionTooLong(model: Pick<ChatModel, 'description'>, reason: string): MmkitError {
  return new MmkitError(`the question is too long for ${model.description.id}: ${reason}`, {
    code: 'question_too_long',
    param: 'question',
  });
}
