/** Text to image, and image to image. Size is always width × height. */
import type { CallOptions, ModelDescription, Timings } from './common.ts';

export interface ImageGenerationProgress {
  step: number;
  totalSteps: number;
}

/** A preview while denoising runs: the current estimate of the finished images, decoded. */
export interface PartialImages {
  /** 0, 1, 2… in the order they are made. */
  index: number;
  /** The denoising step it was taken after (1-based), of `totalSteps`. */
  step: number;
  totalSteps: number;
  /** One per requested image, in order. */
  images: GeneratedImage[];
}

/** A picture handed to a model: 8-bit RGB, row-major. */
export interface InputImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface ImageGenerationRequest extends CallOptions {
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps: number;
  /** Classifier-free guidance scale; ≤ 1 turns guidance off. */
  guidanceScale: number;
  /** Images for this prompt (1–4). */
  count: number;
  /** Same seed, same request → the same images. */
  seed: number;
  onProgress?: (progress: ImageGenerationProgress) => void;
  /**
   * How many previews (0–3) to hand to `onPartialImages` while denoising, spread over the steps;
   * fewer when there are too few steps (none for a 1-step model: its first image is the last).
   */
  partialImages?: number;
  onPartialImages?: (partial: PartialImages) => void;
  /**
   * Image to image: the picture to start from, at exactly `width` × `height`. It is encoded, noised
   * to `strength` and denoised with the prompt (every image of `count` from the same picture, each
   * with its own seed's noise). Absent: text to image.
   */
  image?: InputImage;
  /**
   * How much of `image` is redrawn, above 0 up to 1 (default 0.8): the last ⌊steps·strength⌋ of the
   * `steps` steps run, so near 0 the picture comes back nearly as it was and 1 keeps only its faintest trace.
   */
  strength?: number;
  /**
   * Inpainting, with `image`: one value per pixel of `width` × `height`, 255 where the picture is
   * repainted and 0 where it is kept (values between blend). The kept part is put back, noised to
   * each step's level, after every step, so the repainted part grows into it; any model does this.
   */
  mask?: Uint8Array;
}

export interface GeneratedImage {
  width: number;
  height: number;
  /** RGB, 8 bits per channel, row-major. */
  pixels: Uint8Array;
  seed: number;
}

export interface ImageGenerationResult {
  images: GeneratedImage[];
  /** The scheduler that ran, e.g. `EulerDiscreteScheduler`. */
  scheduler: string;
  timings: Timings;
  /** Things the caller should know, e.g. that a prompt was cut to the text encoder's 77 tokens. */
  warnings?: string[];
  /** Peak resident memory of the process during the call, when the provider can tell. */
  peakMemoryBytes?: number;
}

/** Settings a model is meant to run with (SD-Turbo: 1 step, no guidance), used where the caller sets none. */
export type ImageGenerationDefaults = Partial<
  Pick<ImageGenerationRequest, 'steps' | 'guidanceScale' | 'width' | 'height'>
>;

export interface ImageGenerationModel {
  readonly description: ModelDescription;
  readonly recommended?: ImageGenerationDefaults;
  generate(request: ImageGenerationRequest): Promise<ImageGenerationResult>;
}
