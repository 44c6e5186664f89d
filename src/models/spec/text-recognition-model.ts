/** OCR: the text an image shows, with the recogniser's confidence. */
import type { CallOptions, ModelDescription } from './common.ts';

export interface RecognizedLine {
  text: string;
  /** 0–1. */
  confidence: number;
}

export interface TextRecognitionResult {
  text: string;
  /** 0–1, over the whole image. */
  confidence: number;
  lines: RecognizedLine[];
}

export interface TextRecognitionModel {
  readonly description: ModelDescription;
  /** Languages it reads, as tesseract-style codes (`eng`, `chi_sim`). */
  readonly languages: readonly string[];
  recognize(image: Uint8Array, options?: CallOptions): Promise<TextRecognitionResult>;
}
