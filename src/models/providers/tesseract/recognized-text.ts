/** Turning tesseract's page result into ours: text, 0–1 confidences, lines; CJK spacing repaired. */
import type { RecognizedLine, TextRecognitionResult } from '../../spec/text-recognition-model.ts';

interface TesseractPage {
  text: string;
  confidence: number;
  blocks: Array<{ paragraphs: Array<{ lines: Array<{ text: string; confidence: number }> }> }> | null;
}

// Tesseract's Chinese model puts a space between most characters; Chinese text has none.
const SPACE_BETWEEN_CJK =
  /(?<=[\p{Script=Han}\u3000-\u303f\uff00-\uffef])[ \t]+(?=[\p{Script=Han}\u3000-\u303f\uff00-\uffef])/gu;

export function joinCjkSpacing(text: string): string {
  return text.replace(SPACE_BETWEEN_CJK, '');
}

export function toRecognitionResult(page: TesseractPage): TextRecognitionResult {
  const lines: RecognizedLine[] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const text = joinCjkSpacing(line.text.trim());
        if (text !== '') lines.push({ text, confidence: clampConfidence(line.confidence) });
      }
    }
  }
  const text = joinCjkSpacing(page.text).trim();
  return { text, confidence: text === '' ? 0 : clampConfidence(page.confidence), lines };
}

function clampConfidence(percent: number): number {
  return Number.isFinite(percent) ? Math.min(1, Math.max(0, percent / 100)) : 0;
}
