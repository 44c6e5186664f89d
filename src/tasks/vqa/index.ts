/** Visual question answering: one question or a conversation about an image, with OCR grounding. */
export type { VqaAskOptions, VqaConversationOptions } from './conversation.ts';
export { VqaConversation } from './conversation.ts';
export type { LoadVqaImageOptions, VqaImage, VqaImageInput, VqaImageLimits } from './image-input.ts';
export { DEFAULT_VQA_IMAGE_LIMITS, loadVqaImage } from './image-input.ts';
export type { OcrMode, OcrSource, VqaOcrReport } from './ocr-grounding.ts';
export { MIN_OCR_CONFIDENCE, OCR_MODES } from './ocr-grounding.ts';
export type { VqaMessagesInput, VqaTurn } from './prompt.ts';
export { buildVqaMessages, groundedQuestion, MAX_OCR_PROMPT_CHARACTERS } from './prompt.ts';
export type { VqaSamplingOptions } from './settings.ts';
export { checkQuestion, requireQuestion, resolveSampling, VQA_DEFAULTS } from './settings.ts';
export type { VqaImageContext, VqaImageOptions, VqaOptions, VqaResult, VqaStreamPart, VqaTimings } from './vqa.ts';
export { vqa, vqaStream } from './vqa.ts';
