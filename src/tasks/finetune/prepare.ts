/**
 * `prepareFinetuneData`: a `{image_path, question, answer}` JSONL → a folder ready for training.
 * The dataset layer checks every row (missing or unreadable images, empty fields: dropped and
 * reported with reasons) and splits train/validation by seed; each kept row becomes a conversation
 * in the model's chat template with its image tokens, tokenized by the model's processor, with the
 * answer's start recorded for the labels and rows over `maxLength` cut with a warning; each distinct
 * image goes through the vision encoder once and its features are cached as `.npy`. Everything is
 * built in a temporary folder renamed into place at the end, so a failed run leaves nothing half-made.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describeError, isMmkitError, MmkitError } from '../../errors.ts';
import { readDecoderConfig } from '../../finetune/model/hub-config.ts';
import { truncateExample } from '../../finetune/train/training-example.ts';
import { writeNpy } from '../../media/npy.ts';
import { splitDataset } from '../../preprocess/dataset/split.ts';
import { decodeRawImage } from '../../preprocess/image/raw-image.ts';
import { PREPARED_FORMAT, type PreparedManifest, type PreparedRow } from './prepared-dataset.ts';
import { tokenizeConversation } from './training-conversation.ts';
import { resolveTrainingModelFolder } from './training-model-folder.ts';
import { loadPreparationModel, type PreparationModel } from './vision-model.ts';

export interface PrepareOptions {
  dataPath: string;
  imagesDir: string;
  /** Hub id or local folder of a LLaVA-style model. */
  model: string;
  outDir: string;
  /** Share of kept rows for validation, in (0, 1). */
  validation?: number;
  seed?: number;
  maxLength?: number;
  onProgress?: (done: number, total: number) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Turns `model` into a local folder (default: the Hub cache, pulling when allowed). */
  resolveModel?: (model: string) => Promise<string>;
}

export const PREPARE_DEFAULTS = { validation: 0.1, seed: 42, maxLength: 512 } as const;

function invalid(flag: string, message: string): MmkitError {
  return new MmkitError(`--${flag} ${message}`, { code: 'invalid_option', param: flag });
}

/** The output folder must be new, empty, or an earlier prepared folder (which is replaced). */
function checkOutput(outDir: string): void {
  if (!existsSync(outDir)) return;
  const entries = readdirSync(outDir);
  if (entries.length === 0 || entries.includes('manifest.json')) return;
  throw new MmkitError(`${outDir}: the output folder holds other files; give a new or empty folder`, {
    code: 'invalid_option',
    param: 'out',
  });
}

export async function prepareFinetuneData(options: PrepareOptions): Promise<PreparedManifest> {
  const validation = options.validation ?? PREPARE_DEFAULTS.validation;
  const seed = options.seed ?? PREPARE_DEFAULTS.seed;
  const maxLength = options.maxLength ?? PREPARE_DEFAULTS.maxLength;
  if (!(validation > 0 && validation < 1)) throw invalid('validation', `must be between 0 and 1, got ${validation}`);
  if (!Number.isSafeInteger(maxLength) || maxLength < 2) throw invalid('max-length', `must be an integer ≥ 2`);
  const outDir = resolve(options.outDir);
  checkOutput(outDir);
  const modelFolder = await (options.resolveModel ?? resolveTrainingModelFolder)(options.model);
  // An architecture training cannot handle fails here, naming the supported ones, not after the encoding.
  readDecoderConfig(modelFolder);

  await mkdir(dirname(outDir), { recursive: true });
  const building = join(dirname(outDir), `.${basename(outDir)}.${process.pid}.partial`);
  rmSync(building, { recursive: true, force: true });
  let model: PreparationModel | undefined;
  try {
    await mkdir(join(building, 'features'), { recursive: true });
    const split = await splitDataset({
      pairsPath: options.dataPath,
      imagesDir: options.imagesDir,
      outDir: join(building, 'split'),
      testSize: validation,
      seed,
      minText: 0,
    });
    options.signal?.throwIfAborted();
    model = await loadPreparationModel(modelFolder);
    const readRows = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { image_path: string; question: string; answer: string });
    const trainRows = readRows(split.files.train);
    const validationRows = readRows(split.files.test);
    const total = trainRows.length + validationRows.length;

    const warnings: string[] = [];
    const warn = (message: string) => {
      warnings.push(message);
      options.onWarning?.(message);
    };
    const features: PreparedManifest['features'] = [];
    const featureIndex = new Map<string, number>();
    let hiddenSize = 0;
    let done = 0;
    const prepareRows = async (rows: typeof trainRows, splitName: string): Promise<PreparedRow[]> => {
      const prepared: PreparedRow[] = [];
      for (const [index, row] of rows.entries()) {
        options.signal?.throwIfAborted();
        const imagePath = resolve(options.imagesDir, row.image_path);
        const image = await decodeRawImage(await readFile(imagePath), { name: imagePath });
        const tokenized = await tokenizeConversation(
          model!.processor,
          model!.chatTemplate,
          options.model,
          image,
          row.question,
          row.answer,
        );
        let features_ = featureIndex.get(row.image_path);
        if (features_ === undefined) {
          const encoded = await model!.encodeImage(tokenized.imageInputs);
          hiddenSize = encoded.shape[1];
          features_ = features.length;
          const file = `features/${String(features_).padStart(6, '0')}.npy`;
          await writeNpy(join(building, file), { dtype: 'float32', shape: encoded.shape, data: encoded.data });
          features.push({ image: row.image_path, file, shape: encoded.shape });
          featureIndex.set(row.image_path, features_);
        }
        const imageTokens = tokenized.inputIds.filter((token) => token === model!.imageTokenId).length;
        if (imageTokens !== features[features_].shape[0]) {
          throw new MmkitError(
            `${options.model}: the prompt has ${imageTokens} image tokens but the vision encoder gave ${features[features_].shape[0]} feature rows`,
            { code: 'unsupported_model', param: 'model', type: 'unsupported_error' },
          );
        }
        const label = `${splitName} row ${index + 1} (${row.image_path})`;
        const truncated = truncateExample(
          { label, tokens: tokenized.inputIds, trainFrom: tokenized.labelStart },
          maxLength,
          warn,
        );
        prepared.push({
          image: row.image_path,
          question: row.question,
          answer: row.answer,
          features: features_,
          inputIds: [...truncated.tokens],
          labelStart: tokenized.labelStart,
        });
        options.onProgress?.(++done, total);
      }
      return prepared;
    };
    const train = await prepareRows(trainRows, 'train');
    const validationPrepared = await prepareRows(validationRows, 'validation');

    const manifest: PreparedManifest = {
      format: PREPARED_FORMAT,
      version: 1,
      model: options.model,
      modelFolder,
      data: resolve(options.dataPath),
      images: resolve(options.imagesDir),
      seed,
      validation,
      maxLength,
      imageTokenId: model.imageTokenId,
      padTokenId: model.padTokenId,
      hiddenSize,
      counts: {
        rows: split.total,
        kept: split.kept,
        dropped: split.dropped,
        train: train.length,
        validation: validationPrepared.length,
        truncated: warnings.length,
        images: features.length,
      },
      droppedRows: split.droppedRows,
      warnings,
      features,
      train,
      validationRows: validationPrepared,
    };
    writeFileSync(join(building, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
    rmSync(outDir, { recursive: true, force: true });
    renameSync(building, outDir);
    return manifest;
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    if (isMmkitError(error) || (error as Error)?.name === 'AbortError') throw error;
    throw new MmkitError(`preparing ${options.dataPath} failed: ${describeError(error)}`, {
      code: 'prepare_failed',
      param: 'data',
      type: 'runtime_error',
      cause: error,
    });
  } finally {
    await model?.release();
  }
}
