/** Offline OCR with tesseract.js and the installed `@tesseract.js-data/*` packages. */
export { installedLanguages, KNOWN_LANGUAGES } from './language-data.ts';
export { joinCjkSpacing } from './recognized-text.ts';
export type { TesseractCallOptions, TesseractOptions } from './tesseract-text-recognition-model.ts';
export { TesseractTextRecognitionModel } from './tesseract-text-recognition-model.ts';
