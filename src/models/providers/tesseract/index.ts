/** Offline OCR with tesseract.js and the installed `@tesseract.js-data/*` packages, plus the text-density test. */
export { installedLanguages, KNOWN_LANGUAGES } from './language-data.ts';
export { joinCjkSpacing } from './recognized-text.ts';
export type { TesseractCallOptions, TesseractOptions } from './tesseract-text-recognition-model.ts';
export { TesseractTextRecognitionModel } from './tesseract-text-recognition-model.ts';
export type { TextDensity } from './text-density.ts';
export { MIN_TEXT_TILE_FRACTION, MIN_TEXT_TILES, textDensity } from './text-density.ts';
