/**
 * What an image-generation request may ask for, shared by `POST /api/imagine` and
 * `POST /v1/images/generations`: sizes in multiples of 8 within bounds, at most 4 images, bounded
 * steps, guidance and prompt length. Kept here so the two routes cannot drift apart.
 */
import { z } from 'zod';
import { modelName } from '../openai/chat-request-schema.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';

export const MAX_IMAGE_PROMPT_CHARS = 2_000;
export const MIN_IMAGE_SIDE = 64;
export const MAX_IMAGE_SIDE = 2_048;
/** Width × height of one image: 1024 × 1024 (or 2048 × 512); beyond it memory use explodes. */
export const MAX_IMAGE_PIXELS = 1024 * 1024;
export const MAX_IMAGE_COUNT = 4;
export const MAX_STEPS = 150;

const promptText = z
  .string()
  .max(MAX_IMAGE_PROMPT_CHARS, `must be at most ${MAX_IMAGE_PROMPT_CHARS} characters`)
  .regex(NO_CONTROL_CHARACTERS, 'must not contain NUL or other control characters');

export const imagePrompt = promptText.refine((text) => text.trim() !== '', 'must not be empty');
export const negativePrompt = promptText;
export const imageSide = z
  .number()
  .int()
  .min(MIN_IMAGE_SIDE)
  .max(MAX_IMAGE_SIDE)
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');
export const imageCount = z.number().int().min(1).max(MAX_IMAGE_COUNT);
export const imageSteps = z.number().int().min(1).max(MAX_STEPS);
export const guidanceScale = z.number().min(0).max(30);
export const imageSeed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
export const styleName = z.string().min(1).max(64).regex(NO_CONTROL_CHARACTERS);

/** Refuses a size whose pixel count is over the bound (each side is checked by `imageSide`). */
export function pixelsWithinBound(size: { width?: number | undefined; height?: number | undefined }): boolean {
  return (size.width ?? 512) * (size.height ?? 512) <= MAX_IMAGE_PIXELS;
}

/**
 * The fields both routes spell the same way (each adds its own: `width`/`height` or `size`,
 * `count` or `n`, `guidance` or `guidance_scale`). Nullable, as OpenAI's SDKs may send null.
 */
export const sharedImageFields = {
  prompt: imagePrompt,
  negative_prompt: negativePrompt.nullish(),
  style: styleName.nullish(),
  steps: imageSteps.nullish(),
  seed: imageSeed.nullish(),
  model: modelName.nullish(),
};

interface SharedImageBody {
  prompt: string;
  negative_prompt?: string | null | undefined;
  style?: string | null | undefined;
  steps?: number | null | undefined;
  seed?: number | null | undefined;
  model?: string | null | undefined;
}

/** The task's parameters from the shared fields (nulls as absent; a style of only spaces is none). */
export function sharedParameters(body: SharedImageBody) {
  return {
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? undefined,
    style: body.style?.trim() || undefined,
    steps: body.steps ?? undefined,
    seed: body.seed ?? undefined,
    model: body.model ?? undefined,
  };
}
