/**
 * What an image-generation request may ask for, for `POST /api/imagine` and
 * `POST /v1/images/generations`: sizes in multiples of 8 within bounds, at most 4 images, bounded
 * steps, guidance and prompt length. Both request formats live here, on the same limits, so the
 * two routes cannot drift apart; each route turns its body into the task's parameters here.
 */
import { z } from 'zod';
import { invalidRequest } from '../http-errors.ts';
import { modelName } from '../openai/chat-request-schema.ts';
import { NO_CONTROL_CHARACTERS } from '../validation.ts';
import type { ImageGenerationParameters } from './generate-images.ts';

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

const imagePrompt = promptText.refine((text) => text.trim() !== '', 'must not be empty');
const negativePrompt = promptText;
const imageSide = z
  .number()
  .int()
  .min(MIN_IMAGE_SIDE)
  .max(MAX_IMAGE_SIDE)
  .refine((side) => side % 8 === 0, 'must be a multiple of 8');
const imageCount = z.number().int().min(1).max(MAX_IMAGE_COUNT);
const imageSteps = z.number().int().min(1).max(MAX_STEPS);
const guidanceScale = z.number().min(0).max(30);
const imageSeed = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const styleName = z.string().min(1).max(64).regex(NO_CONTROL_CHARACTERS);
/** Image to image: how much of the picture is redrawn. */
const strength = z.number().gt(0, 'must be above 0').max(1, 'must be at most 1');

/** Refuses a size whose pixel count is over the bound (each side is checked by `imageSide`). */
function pixelsWithinBound(size: { width?: number | undefined; height?: number | undefined }): boolean {
  return (size.width ?? 512) * (size.height ?? 512) <= MAX_IMAGE_PIXELS;
}

/**
 * The fields both routes spell the same way (each adds its own: `width`/`height` or `size`,
 * `count` or `n`, `guidance` or `guidance_scale`). Nullable, as OpenAI's SDKs may send null.
 */
const sharedImageFields = {
  prompt: imagePrompt,
  negative_prompt: negativePrompt.nullish(),
  style: styleName.nullish(),
  steps: imageSteps.nullish(),
  seed: imageSeed.nullish(),
  model: modelName.nullish(),
  strength: strength.nullish(),
};

interface SharedImageBody {
  prompt: string;
  negative_prompt?: string | null | undefined;
  style?: string | null | undefined;
  steps?: number | null | undefined;
  seed?: number | null | undefined;
  model?: string | null | undefined;
  strength?: number | null | undefined;
}

/** The task's parameters from the shared fields (nulls as absent; a style of only spaces is none). */
function sharedParameters(body: SharedImageBody) {
  return {
    prompt: body.prompt,
    negativePrompt: body.negative_prompt ?? undefined,
    style: body.style?.trim() || undefined,
    steps: body.steps ?? undefined,
    seed: body.seed ?? undefined,
    model: body.model ?? undefined,
    strength: body.strength ?? undefined,
  };
}

/** The fields a multipart image form sends as text that are numbers or booleans. */
export const IMAGE_FORM_NUMBERS = [
  'steps',
  'seed',
  'strength',
  'width',
  'height',
  'guidance',
  'count',
  'n',
  'guidance_scale',
  'partial_images',
] as const;
export const IMAGE_FORM_BOOLEANS = ['stream'] as const;

/** Strength without a picture is refused before any work (a JSON body cannot carry one). */
export function requireStartImage(parameters: ImageGenerationParameters): void {
  if (parameters.strength !== undefined && !parameters.image) {
    throw invalidRequest(
      'strength is for image to image: send the picture as an image file (multipart/form-data)',
      'strength',
    );
  }
}

/** `POST /api/imagine`: mmkit's own names (`width`, `height`, `guidance`, `count`), strict. */
export const imagineRequestSchema = z.strictObject({
  ...sharedImageFields,
  width: imageSide.optional(),
  height: imageSide.optional(),
  guidance: guidanceScale.optional(),
  count: imageCount.optional(),
});

export function imagineParameters(body: z.infer<typeof imagineRequestSchema>): ImageGenerationParameters {
  if (!pixelsWithinBound(body)) {
    throw invalidRequest(`width × height must be at most ${MAX_IMAGE_PIXELS} pixels`, 'width', 'size_too_large');
  }
  return {
    ...sharedParameters(body),
    width: body.width,
    height: body.height,
    guidance: body.guidance,
    count: body.count,
  };
}

const SIZE = /^(\d{1,5})x(\d{1,5})$/;

/** `POST /v1/images/generations`: loose like OpenAI's own (SDKs add fields); the known ones are checked strictly. */
export const generationRequestSchema = z.looseObject({
  ...sharedImageFields,
  n: imageCount.nullish(),
  size: z.string().max(20).regex(SIZE, 'must be WIDTHxHEIGHT, e.g. 512x512').or(z.literal('auto')).nullish(),
  response_format: z.enum(['url', 'b64_json']).nullish(),
  guidance_scale: guidanceScale.nullish(),
  stream: z.boolean().nullish(),
  partial_images: z.int().min(0).max(3).nullish(),
});

function parseSize(size: string | null | undefined): { width?: number; height?: number } {
  if (size === null || size === undefined || size === 'auto') return {};
  const match = SIZE.exec(size)!;
  const sides = { width: Number(match[1]), height: Number(match[2]) };
  for (const [name, side] of Object.entries(sides)) {
    const checked = imageSide.safeParse(side);
    if (!checked.success) {
      throw invalidRequest(`invalid 'size': ${name} ${side}: ${checked.error.issues[0]!.message}`, 'size');
    }
  }
  if (!pixelsWithinBound(sides)) {
    throw invalidRequest(`invalid 'size': at most ${MAX_IMAGE_PIXELS} pixels per image`, 'size', 'size_too_large');
  }
  return sides;
}

export function generationParameters(body: z.infer<typeof generationRequestSchema>): ImageGenerationParameters {
  return {
    ...sharedParameters(body),
    ...parseSize(body.size),
    guidance: body.guidance_scale ?? undefined,
    count: body.n ?? 1,
    partialImages: body.stream ? (body.partial_images ?? 0) : 0,
  };
}
