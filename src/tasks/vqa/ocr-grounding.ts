/**
 * OCR grounding: small vision-language models read the text in screenshots badly (the seed's own
 * example asks which phone model and system version a screenshot shows), so the recognised text is
 * given to the model beside the image. `on` always runs OCR; `auto` runs it only when the cheap
 * text-density test says the image likely shows text; `off` never does.
 */
import { MmkitError } from '../../errors.ts';
import type { TextRecognitionModel } from '../../models/spec/index.ts';
// A pure image measure (sharp, no model): the text-density test that `--ocr auto` is defined by.
import { textDensity } from '../../preprocess/image/text-density.ts';
import type { VqaImage } from './image-input.ts';

export type OcrMode = 'auto' | 'on' | 'off';
export const OCR_MODES: readonly OcrMode[] = ['auto', 'on', 'off'];

/** An OCR model, or a function that loads one (so `auto` pays for loading only when text is likely). */
export type OcrSource = TextRecognitionModel | (() => Promise<TextRecognitionModel>);

/**
 * Below this overall confidence the recognised text is reported but not given to the model: on
 * rendered text and screenshots tesseract reports 0.8–0.96, on photos without text 0.1–0.55 for
 * the stray marks it reads (scikit-image's cat, coffee, rocket, Hubble photos).
 */
export const MIN_OCR_CONFIDENCE = 0.6;

export interface VqaOcrReport {
  mode: 'auto' | 'on';
  /** Whether OCR ran (`auto` skips images without text). */
  ran: boolean;
  text: string;
  /** 0–1. */
  confidence: number;
  /** Whether the text went into the prompt. */
  used: boolean;
  /** The share of tiles that look like text (`auto` only). */
  textDensity?: number;
  /** The OCR model's id, when it ran. */
  model?: string;
}

export interface OcrGroundingOptions {
  image: VqaImage;
  mode: OcrMode;
  ocr: OcrSource | undefined;
  signal?: AbortSignal;
}

export async function groundWithOcr(options: OcrGroundingOptions): Promise<VqaOcrReport | undefined> {
  const { image, mode } = options;
  if (mode === 'off') return undefined;
  if (!options.ocr) {
    throw new MmkitError(`OCR mode '${mode}' needs an OCR model; pass one, or set the OCR mode to off`, {
      code: 'ocr_model_missing',
      param: 'ocr',
    });
  }
  let density: number | undefined;
  if (mode === 'auto') {
    const measured = await textDensity(image.bytes, { name: image.name });
    density = measured.density;
    if (!measured.likelyText) return { mode, ran: false, text: '', confidence: 0, used: false, textDensity: density };
  }
  const model = typeof options.ocr === 'function' ? await options.ocr() : options.ocr;
  const recognized = await model.recognize(image.bytes, options.signal ? { signal: options.signal } : {});
  const text = recognized.text.trim();
  return {
    mode,
    ran: true,
    text,
    confidence: recognized.confidence,
    used: text !== '' && recognized.confidence >= MIN_OCR_CONFIDENCE,
    ...(density === undefined ? {} : { textDensity: density }),
    model: model.description.id,
  };
}
