/** `mmkit dataset split PAIRS.jsonl --images DIR [--test-size 0.1] [--seed 42] [--min-text 5] --out DIR [--json]` */
import type { Command } from 'commander';
import { type SplitReport, splitDataset } from '../../preprocess/dataset/split.ts';
import { numberOption } from '../options.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';

interface SplitOptions {
  images: string;
  out: string;
  testSize: number;
  seed: number;
  minText: number;
  json?: boolean;
}

/** Dropped rows listed on the terminal, and in the JSON report; dropped.jsonl has them all. */
const SHOWN_DROPS = 20;
const JSON_DROPS = 1000;

export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('Image–text datasets.');
  dataset
    .command('split')
    .description('Check an image–text JSONL, drop unusable rows, and split it into train.jsonl / test.jsonl.')
    .argument('<pairs>', 'JSONL of {image_filename, text} or {image_path, question, answer} rows')
    .requiredOption('--images <dir>', 'folder the image paths are relative to')
    .requiredOption('--out <dir>', 'folder for train.jsonl, test.jsonl and dropped.jsonl')
    .option(
      '--test-size <fraction>',
      'fraction of kept rows for test, in (0, 1), rounded up',
      numberOption('--test-size'),
      0.1,
    )
    .option('--seed <n>', 'seed of the split', numberOption('--seed', { integer: true, min: 0 }), 42)
    .option(
      '--min-text <n>',
      'minimum trimmed text length in characters (questions, for question/answer rows)',
      numberOption('--min-text', { integer: true, min: 0 }),
      5,
    )
    .option('--json', 'print the report as one JSON document')
    .action(async (pairs: string, options: SplitOptions) => {
      let bar: ProgressBar | undefined;
      const report = await splitDataset({
        pairsPath: pairs,
        imagesDir: options.images,
        outDir: options.out,
        testSize: options.testSize,
        seed: options.seed,
        minText: options.minText,
        maxReportedDrops: options.json ? JSON_DROPS : SHOWN_DROPS,
        onProgress: (done, total) => {
          bar ??= progressBar('split', total, { json: options.json });
          bar.update(done);
        },
      });
      bar?.finish();
      if (options.json) printJson(toJson(report));
      else printSummary(report);
    });
}

function toJson(report: SplitReport) {
  return {
    pairs: report.pairs,
    images: report.images,
    out: report.out,
    seed: report.seed,
    test_size: report.testSize,
    min_text: report.minText,
    total: report.total,
    kept: report.kept,
    dropped: report.dropped,
    train: report.train,
    test: report.test,
    dropped_by_reason: report.droppedByReason,
    dropped_rows: report.droppedRows,
    dropped_rows_omitted: report.droppedRowsOmitted,
    files: report.files,
  };
}

function printSummary(report: SplitReport): void {
  const lines = [`${report.pairs}: ${report.total} rows, ${report.kept} kept, ${report.dropped} dropped`];
  const reasons = Object.entries(report.droppedByReason).map(([reason, count]) => `${reason} ${count}`);
  if (reasons.length > 0) lines.push(`  dropped by reason: ${reasons.join(', ')}`);
  for (const row of report.droppedRows) lines.push(`  line ${row.line}: ${row.reason} (${row.detail})`);
  if (report.droppedRowsOmitted > 0) {
    lines.push(`  … ${report.droppedRowsOmitted} more dropped rows in ${report.files.dropped}`);
  }
  lines.push(`train: ${report.train} rows → ${report.files.train}`);
  lines.push(`test:  ${report.test} rows → ${report.files.test} (test size ${report.testSize}, seed ${report.seed})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
