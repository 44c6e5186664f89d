/** Checks an image-generation request before any work, with one-line MmkitErrors naming the parameter. */
import { MmkitError } from '../../../../errors.ts';
import type { ImageGenerationRequest } from '../../../spec/image-generation-model.ts';
import { MAX_SEED } from './gaussian-noise.ts';
import { MAX_PARTIAL_IMAGES } from './partial-images.ts';
import { stepsAtStrength } from './schedulers/select.ts';

export const MIN_IMAGE_SIDE = 64;
export const MAX_IMAGE_SIDE = 2048;
export const MAX_STEPS = 1000;
export const MAX_IMAGES = 4;
/** How much of an image-to-image picture is redrawn when the request does not say (diffusers' default). */
export const DEFAULT_STRENGTH = 0.8;

function invalid(message: string, param: string): never {
  throw new MmkitError(message, { code: 'invalid_parameter', param });
}

function checkSide(value: number, name: 'width' | 'height'): void {
  if (!Number.isInteger(value) || value < MIN_IMAGE_SIDE || value > MAX_IMAGE_SIDE) {
    invalid(`${name} must be an integer from ${MIN_IMAGE_SIDE} to ${MAX_IMAGE_SIDE} pixels, got ${value}`, name);
  }
  if (value % 8 !== 0) {
    const lower = Math.max(MIN_IMAGE_SIDE, value - (value % 8));
    invalid(
      `${name} must be a multiple of 8 (the VAE works on 8×8 pixel blocks), got ${value}; try ${lower} or ${lower + 8}`,
      name,
    );
  }
}

export function validateRequest(request: ImageGenerationRequest): void {
  if (typeof request.prompt !== 'string' || request.prompt.trim() === '') invalid('prompt must not be empty', 'prompt');
  if (request.negativePrompt !== undefined && typeof request.negativePrompt !== 'string') {
    invalid('negative prompt must be text', 'negative_prompt');
  }
  checkSide(request.width, 'width');
  checkSide(request.height, 'height');
  if (!Number.isInteger(request.steps) || request.steps < 1 || request.steps > MAX_STEPS) {
    invalid(`steps must be an integer from 1 to ${MAX_STEPS}, got ${request.steps}`, 'steps');
  }
  if (!Number.isFinite(request.guidanceScale) || request.guidanceScale < 0 || request.guidanceScale > 100) {
    invalid(
      `guidance must be a number from 0 to 100 (≤ 1 turns guidance off), got ${request.guidanceScale}`,
      'guidance',
    );
  }
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > MAX_IMAGES) {
    invalid(`count must be an integer from 1 to ${MAX_IMAGES}, got ${request.count}`, 'count');
  }
  if (!Number.isSafeInteger(request.seed) || request.seed < 0 || request.seed + request.count - 1 > MAX_SEED) {
    invalid(`seed must be an integer from 0 to ${MAX_SEED - MAX_IMAGES}, got ${request.seed}`, 'seed');
  }
  checkImageToImage(request);
  const partial = request.partialImages;
  if (partial !== undefined && (!Number.isInteger(partial) || partial < 0 || partial > MAX_PARTIAL_IMAGES)) {
    invalid(`partial images must be an integer from 0 to ${MAX_PARTIAL_IMAGES}, got ${partial}`, 'partial_images');
  }
}

function checkImageToImage(request: ImageGenerationRequest): void {
  const { image, strength, mask } = request;
  if (!image) {
    if (strength !== undefined) invalid('strength is for image to image: give an image to start from', 'strength');
    if (mask !== undefined) invalid('a mask is for inpainting: give the image it applies to', 'mask');
    return;
  }
  if (mask !== undefined && mask.length !== request.width * request.height) {
    invalid(`the mask must have one value per pixel (${request.width}×${request.height})`, 'mask');
  }
  if (
    image.width !== request.width ||
    image.height !== request.height ||
    image.pixels.length !== image.width * image.height * 3
  ) {
    invalid(
      `the image must be RGB at the requested size (${request.width}×${request.height}), got ${image.width}×${image.height}`,
      'image',
    );
  }
  const chosen = strength ?? DEFAULT_STRENGTH;
  if (!Number.isFinite(chosen) || chosen <= 0 || chosen > 1) {
    invalid(`strength must be a number above 0 and at most 1, got ${strength}`, 'strength');
  }
  if (stepsAtStrength(request.steps, chosen) < 1) {
    invalid(
      `strength ${chosen} of ${request.steps} steps runs no step (image to image runs ⌊steps × strength⌋); raise steps to ${Math.ceil(1 / chosen)} or strength to ${Math.ceil(100 / request.steps) / 100}`,
      'strength',
    );
  }
}
