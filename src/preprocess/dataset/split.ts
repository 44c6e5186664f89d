/**
 * `splitDataset`: stream an image–text JSONL, drop the rows that cannot be trained on (each reported
 * with its line number and reason), and split the rest reproducibly into train/test files.
 *
 * Memory stays bounded whatever the file size: pass 1 streams the input, checks each row and writes
 * the kept rows to a temporary file; pass 2 streams that file and deals each row to train or test by
 * selection sampling with a seeded PRNG (exactly ceil(testSize × kept) test rows, uniformly chosen).
 * Outputs appear only at the end, by rename; on failure every temporary file is removed.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describeError, isMmkitError, MmkitError } from '../../errors.ts';
import { checkImage, type ImageProblem, ImageVerdictCache } from './image-check.ts';
import { JsonlWriter } from './jsonl-writer.ts';
import { ImagePathResolver, parseLine, type RowProblem } from './rows.ts';
import { seededRandom, selectionSampler } from './seeded-random.ts';

export type DropReason = RowProblem | ImageProblem;

export interface DroppedRow {
  /** 1-based line number in the input file. */
  line: number;
  reason: DropReason;
  detail: string;
}

export interface SplitDatasetOptions {
  pairsPath: string;
  imagesDir: string;
  outDir: string;
  /** Fraction of kept rows that go to test, in (0, 1); the count is rounded up. */
  testSize?: number;
  seed?: number;
  /** Minimum trimmed text length in Unicode code points (questions, for question/answer rows). */
  minText?: number;
  /** How many dropped rows the returned report lists (dropped.jsonl has them all). */
  maxReportedDrops?: number;
  /** How many image verdicts to remember (one image is often paired with many captions). */
  imageCacheSize?: number;
  maxPixels?: number;
  /** Called now and then with the input bytes read so far and the input's size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface SplitReport {
  pairs: string;
  images: string;
  out: string;
  seed: number;
  testSize: number;
  minText: number;
  /** Non-blank input lines. */
  total: number;
  kept: number;
  dropped: number;
  train: number;
  test: number;
  droppedByReason: Partial<Record<DropReason, number>>;
  /** The first `maxReportedDrops` dropped rows. */
  droppedRows: DroppedRow[];
  droppedRowsOmitted: number;
  files: { train: string; test: string; dropped: string };
}

/** Rows checked concurrently (image decodes run on libuv's thread pool); output order is kept. */
const WINDOW = 16;

type Outcome = { line: number; row: Record<string, unknown> } | DroppedRow;

function fail(message: string, param: string, code = 'invalid_option', type?: 'not_found_error'): never {
  throw new MmkitError(message, { code, param, type });
}

/** ceil without float noise: 0.1 × 30 is 3.0000000000000004, which must give 3 test rows, not 4. */
export function testCount(kept: number, testSize: number): number {
  return Math.min(kept, Math.max(0, Math.ceil(testSize * kept - 1e-9)));
}

async function checkPaths(options: SplitDatasetOptions): Promise<void> {
  const pairs = await stat(options.pairsPath).catch(() => undefined);
  if (!pairs) fail(`${options.pairsPath}: no such file`, 'pairs', 'file_not_found', 'not_found_error');
  if (!pairs.isFile()) fail(`${options.pairsPath}: not a file`, 'pairs', 'file_not_found');
  const images = await stat(options.imagesDir).catch(() => undefined);
  if (!images)
    fail(`${options.imagesDir}: images folder does not exist`, 'images', 'file_not_found', 'not_found_error');
  if (!images.isDirectory()) fail(`${options.imagesDir}: images must be a folder`, 'images', 'file_not_found');
  const out = await stat(options.outDir).catch(() => undefined);
  if (out && !out.isDirectory()) fail(`${options.outDir}: output must be a folder, and this is a file`, 'out');
}

function checkNumbers(testSize: number, seed: number, minText: number): void {
  if (!(Number.isFinite(testSize) && testSize > 0 && testSize < 1)) {
    fail(`test size must be between 0 and 1 (exclusive), got ${testSize}`, 'test_size');
  }
  if (!Number.isSafeInteger(seed) || seed < 0) fail(`seed must be an integer ≥ 0, got ${seed}`, 'seed');
  if (!Number.isInteger(minText) || minText < 0) fail(`min text must be an integer ≥ 0, got ${minText}`, 'min_text');
}

async function* readLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    yield* lines;
  } catch (error) {
    throw new MmkitError(`${path}: cannot read (${describeError(error)})`, { code: 'file_unreadable', param: path });
  } finally {
    lines.close();
  }
}

export async function splitDataset(options: SplitDatasetOptions): Promise<SplitReport> {
  const testSize = options.testSize ?? 0.1;
  const seed = options.seed ?? 42;
  const minText = options.minText ?? 5;
  const maxReportedDrops = options.maxReportedDrops ?? 100;
  checkNumbers(testSize, seed, minText);
  await checkPaths(options);
  const paths = new ImagePathResolver(resolve(options.imagesDir), options.imageCacheSize);
  await mkdir(options.outDir, { recursive: true });

  const files = {
    train: join(options.outDir, 'train.jsonl'),
    test: join(options.outDir, 'test.jsonl'),
    dropped: join(options.outDir, 'dropped.jsonl'),
  };
  const kept = new JsonlWriter(join(options.outDir, 'kept.jsonl'));
  const train = new JsonlWriter(files.train);
  const test = new JsonlWriter(files.test);
  const dropped = new JsonlWriter(files.dropped);
  const verdicts = new ImageVerdictCache(options.imageCacheSize, (path) =>
    checkImage(path, { maxPixels: options.maxPixels }),
  );
  const report: SplitReport = {
    pairs: options.pairsPath,
    images: options.imagesDir,
    out: options.outDir,
    seed,
    testSize,
    minText,
    total: 0,
    kept: 0,
    dropped: 0,
    train: 0,
    test: 0,
    droppedByReason: {},
    droppedRows: [],
    droppedRowsOmitted: 0,
    files,
  };

  const evaluate = async (line: number, text: string): Promise<Outcome> => {
    const parsed = parseLine(text, paths, minText);
    if (!parsed.ok) return { line, reason: parsed.reason, detail: parsed.detail };
    const verdict = await verdicts.verdict(parsed.imagePath);
    if (!verdict.ok) return { line, reason: verdict.reason, detail: `${parsed.row.image}: ${verdict.detail}` };
    return { line, row: parsed.row.fields };
  };
  const record = async (outcome: Outcome): Promise<void> => {
    if ('row' in outcome) {
      report.kept++;
      await kept.write(outcome.row);
      return;
    }
    report.dropped++;
    report.droppedByReason[outcome.reason] = (report.droppedByReason[outcome.reason] ?? 0) + 1;
    if (report.droppedRows.length < maxReportedDrops) report.droppedRows.push(outcome);
    else report.droppedRowsOmitted++;
    await dropped.write(outcome);
  };

  const pending: Promise<Outcome>[] = [];
  try {
    const totalBytes = (await stat(options.pairsPath)).size;
    let bytesRead = 0;
    let lineNumber = 0;
    for await (const raw of readLines(options.pairsPath)) {
      lineNumber++;
      if (options.onProgress) {
        bytesRead += Buffer.byteLength(raw) + 1;
        if (lineNumber % 10_000 === 0) options.onProgress(bytesRead, totalBytes);
      }
      const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      report.total++;
      pending.push(evaluate(lineNumber, text));
      if (pending.length >= WINDOW) await record(await pending.shift()!);
    }
    while (pending.length > 0) await record(await pending.shift()!);
    await kept.close();
    options.onProgress?.(totalBytes, totalBytes);

    const isTest = selectionSampler(report.kept, testCount(report.kept, testSize), seededRandom(seed));
    for await (const line of readLines(kept.temporaryPath)) {
      if (isTest()) await test.writeLine(line);
      else await train.writeLine(line);
    }
    report.train = train.count;
    report.test = test.count;
    await Promise.all([train.close(), test.close(), dropped.close()]);
    await train.commit();
    await test.commit();
    await dropped.commit();
    return report;
  } catch (error) {
    for (const outcome of pending) outcome.catch(() => {});
    if (isMmkitError(error)) throw error;
    throw new MmkitError(`dataset split into ${options.outDir} failed: ${describeError(error)}`, {
      code: 'dataset_split_failed',
      param: 'out',
      type: 'runtime_error',
      cause: error,
    });
  } finally {
    await Promise.all([kept, train, test, dropped].map((writer) => writer.discard()));
  }
}
