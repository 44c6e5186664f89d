/**
 * OCR with tesseract.js (WebAssembly Tesseract in a worker thread), fully offline: the core and the
 * worker script load from node_modules, the trained data from the installed `@tesseract.js-data/*`
 * packages, and nothing is cached to disk. A worker takes seconds to start, so one is kept per
 * language set and reused until `dispose()`.
 */
import sharp from 'sharp';
import { createWorker, type Worker } from 'tesseract.js';
import { describeError, MmkitError } from '../../../errors.ts';
import { probeImage } from '../../../preprocess/image/probe.ts';
import type { CallOptions, ModelDescription } from '../../spec/common.ts';
import type { TextRecognitionModel, TextRecognitionResult } from '../../spec/text-recognition-model.ts';
import { installedLanguages, languageFolder } from './language-data.ts';
import { toRecognitionResult } from './recognized-text.ts';

export interface TesseractOptions {
  /** Languages to read, as tesseract codes; every installed one (`eng`, `chi_sim`) by default. */
  languages?: string[];
}

export interface TesseractCallOptions extends CallOptions {
  /** A subset of the model's languages for this call (its own worker, also kept). */
  languages?: string[];
  /** Names the image in error messages. */
  name?: string;
}

/** LSTM engine only: what the `4.0.0_best_int` data holds. */
const LSTM_ONLY = 1;

interface PooledWorker {
  worker: Worker;
  removeData: () => Promise<void>;
}

export class TesseractTextRecognitionModel implements TextRecognitionModel {
  readonly description: ModelDescription = { id: 'tesseract:tesseract.js', provider: 'tesseract' };
  readonly languages: readonly string[];
  private readonly workers = new Map<string, Promise<PooledWorker>>();
  private disposed = false;

  constructor(options: TesseractOptions = {}) {
    const installed = installedLanguages();
    const languages = options.languages ?? installed;
    const missing = languages.filter((language) => !installed.includes(language));
    if (missing.length > 0 || languages.length === 0) {
      throw new MmkitError(
        `OCR language ${missing.join(', ') || '(none)'} is not installed; installed: ${installed.join(', ') || 'none'} (npm install @tesseract.js-data/<language>)`,
        { code: 'ocr_language_unavailable', param: 'languages', type: 'not_found_error' },
      );
    }
    this.languages = languages;
  }

  async recognize(image: Uint8Array, options: TesseractCallOptions = {}): Promise<TextRecognitionResult> {
    if (this.disposed) {
      throw new MmkitError('this OCR model was disposed', { code: 'model_disposed', type: 'runtime_error' });
    }
    const languages = options.languages ?? [...this.languages];
    const unknown = languages.filter((language) => !this.languages.includes(language));
    if (unknown.length > 0 || languages.length === 0) {
      throw new MmkitError(`OCR languages must be among ${this.languages.join(', ')}; got ${languages.join(', ')}`, {
        code: 'ocr_language_unavailable',
        param: 'languages',
      });
    }
    const name = options.name ?? 'image';
    await probeImage(image, { name });
    throwIfAborted(options.signal);
    // Normalised to PNG (EXIF orientation applied): Leptonica reads fewer formats than we accept.
    const png = await sharp(image).rotate().png().toBuffer();
    const { worker } = await this.worker(languages);
    throwIfAborted(options.signal);
    try {
      const { data } = await worker.recognize(png, {}, { text: true, blocks: true });
      throwIfAborted(options.signal);
      return toRecognitionResult(data);
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      throw new MmkitError(`${name}: OCR failed (${describeError(error)})`, {
        code: 'ocr_failed',
        type: 'runtime_error',
        cause: error,
      });
    }
  }

  /** Terminates the workers and removes their temporary data folders. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const pooled = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(
      pooled.map(async (entry) => {
        const { worker, removeData } = await entry.catch(() => ({ worker: undefined, removeData: async () => {} }));
        await worker?.terminate();
        await removeData();
      }),
    );
  }

  private worker(languages: string[]): Promise<PooledWorker> {
    const key = languages.join('+');
    let pooled = this.workers.get(key);
    if (pooled === undefined) {
      pooled = startWorker(languages);
      // A failed start is not cached: the next call tries again.
      pooled.catch(() => this.workers.delete(key));
      this.workers.set(key, pooled);
    }
    return pooled;
  }
}

async function startWorker(languages: string[]): Promise<PooledWorker> {
  const folder = await languageFolder(languages);
  try {
    const worker = await createWorker(languages.join('+'), LSTM_ONLY, {
      langPath: folder.path,
      gzip: true,
      // Never read or write `./<lang>.traineddata` in the working directory.
      cacheMethod: 'none',
    });
    // Screenshots and rendered images carry no usable resolution; without one Tesseract warns on every
    // image and assumes 70 dpi. Say so once, explicitly.
    await worker.setParameters({ user_defined_dpi: '70' });
    return { worker, removeData: folder.remove };
  } catch (error) {
    await folder.remove();
    throw new MmkitError(`the OCR engine could not start (${describeError(error)})`, {
      code: 'ocr_engine_unavailable',
      type: 'runtime_error',
      cause: error,
    });
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new DOMException('OCR was cancelled', 'AbortError');
  }
}
