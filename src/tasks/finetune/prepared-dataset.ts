/**
 * The folder `mmkit finetune prepare` writes and `train`, `compare` and `export-trl` read:
 * `manifest.json` (model, split, counts, each row's token ids and answer start) and
 * `features/*.npy` (each image's frozen vision features, [image tokens, hidden], float32).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import type { TrainingData } from '../../finetune/train/training-loop.ts';
import { decodeNpy } from '../../media/npy.ts';
import type { DroppedRow } from '../../preprocess/dataset/split.ts';

export const PREPARED_FORMAT = 'mmkit-finetune-prepared';

export interface PreparedRow {
  /** Image path relative to `images`. */
  image: string;
  question: string;
  answer: string;
  /** Index into `features`. */
  features: number;
  /** The whole conversation: prompt (with the expanded image tokens), answer, end of turn. */
  inputIds: number[];
  /** Index of the answer's first token: labels before it are −100. */
  labelStart: number;
}

export interface PreparedManifest {
  format: typeof PREPARED_FORMAT;
  version: 1;
  /** The model as given to `--model` (Hub id or folder) and the folder it resolved to. */
  model: string;
  modelFolder: string;
  data: string;
  images: string;
  seed: number;
  validation: number;
  maxLength: number;
  imageTokenId: number;
  padTokenId: number;
  hiddenSize: number;
  counts: {
    rows: number;
    kept: number;
    dropped: number;
    train: number;
    validation: number;
    truncated: number;
    images: number;
  };
  /** The first dropped rows (all are in `split/dropped.jsonl`). */
  droppedRows: DroppedRow[];
  warnings: string[];
  /** Per distinct image: its features file (relative to the folder) and shape. */
  features: { image: string; file: string; shape: [number, number] }[];
  train: PreparedRow[];
  validationRows: PreparedRow[];
}

export interface PreparedDataset {
  folder: string;
  manifest: PreparedManifest;
  /** sha256 of manifest.json: checkpoints remember it, so a resume on other data is refused. */
  fingerprint: string;
}

function notPrepared(folder: string, reason: string): MmkitError {
  return new MmkitError(`${folder}: not a prepared fine-tuning folder (${reason}); run \`mmkit finetune prepare\``, {
    code: 'prepared_unreadable',
    param: 'prepared',
  });
}

export function openPreparedDataset(folder: string): PreparedDataset {
  let text: string;
  try {
    text = readFileSync(join(folder, 'manifest.json'), 'utf8');
  } catch (error) {
    throw notPrepared(folder, `no readable manifest.json: ${describeError(error)}`);
  }
  let manifest: PreparedManifest;
  try {
    manifest = JSON.parse(text) as PreparedManifest;
  } catch (error) {
    throw notPrepared(folder, `manifest.json is not JSON: ${describeError(error)}`);
  }
  if (manifest?.format !== PREPARED_FORMAT || manifest.version !== 1) throw notPrepared(folder, 'unknown format');
  return { folder, manifest, fingerprint: createHash('sha256').update(text).digest('hex') };
}

/** The image file of a row, absolute. */
export function rowImagePath(dataset: PreparedDataset, row: PreparedRow): string {
  const { images } = dataset.manifest;
  return isAbsolute(row.image) ? row.image : join(images, row.image);
}

/** Reads features files on demand, keeping the most recent few in memory. */
function featureReader(dataset: PreparedDataset, capacity = 64): (image: string) => Float32Array {
  const cache = new Map<string, Float32Array>();
  return (key) => {
    const cached = cache.get(key);
    if (cached) return cached;
    const entry = dataset.manifest.features[Number(key)];
    if (!entry) throw notPrepared(dataset.folder, `no features entry ${key}`);
    const path = join(dataset.folder, entry.file);
    let values: Float32Array;
    try {
      const array = decodeNpy(readFileSync(path));
      if (array.dtype !== 'float32') throw new Error(`dtype ${array.dtype}, expected float32`);
      values = array.data as Float32Array;
    } catch (error) {
      throw notPrepared(dataset.folder, `${entry.file}: ${describeError(error)}`);
    }
    cache.set(key, values);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return values;
  };
}

/** The rows as the training loop takes them. */
export function preparedTrainingData(dataset: PreparedDataset): TrainingData {
  const { manifest } = dataset;
  const examples = (rows: readonly PreparedRow[], split: string) =>
    rows.map((row, index) => ({
      label: `${split} row ${index + 1} (${row.image})`,
      tokens: row.inputIds,
      trainFrom: row.labelStart,
      image: String(row.features),
    }));
  return {
    train: examples(manifest.train, 'train'),
    validation: examples(manifest.validationRows, 'validation'),
    padTokenId: manifest.padTokenId,
    imageTokenId: manifest.imageTokenId,
    readFeatures: featureReader(dataset),
    fingerprint: dataset.fingerprint,
  };
}
