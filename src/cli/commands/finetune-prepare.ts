/** `mmkit finetune prepare DATA.jsonl --images DIR --model ID [--out PREPARED] [--validation 0.1] [--seed 42] [--max-length 512] [--json]` */
import type { Command } from 'commander';
import { PREPARE_DEFAULTS, prepareFinetuneData } from '../../tasks/finetune/prepare.ts';
import { numberOption } from '../options.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';

interface PrepareCommandOptions {
  images: string;
  model: string;
  out: string;
  validation: number;
  seed: number;
  maxLength: number;
  json?: boolean;
}

export function registerFinetunePrepare(finetune: Command): void {
  finetune
    .command('prepare')
    .description(
      'Check {image_path, question, answer} rows, build chat-template conversations with image tokens, encode each image once, split train/validation.',
    )
    .argument('<data>', 'JSONL of {image_path, question, answer} rows')
    .requiredOption('--images <dir>', 'folder the image paths are relative to')
    .requiredOption('--model <id|dir>', 'the vision-language model to tune: Hub id or local folder')
    .option('--out <dir>', 'folder for the prepared data', 'prepared')
    .option(
      '--validation <fraction>',
      'share of rows for validation, in (0, 1)',
      numberOption('--validation', { min: 0, max: 1 }),
      PREPARE_DEFAULTS.validation,
    )
    .option('--seed <n>', 'seed of the split', numberOption('--seed', { integer: true, min: 0 }), PREPARE_DEFAULTS.seed)
    .option(
      '--max-length <n>',
      'longest sequence in tokens; longer rows are cut with a warning',
      numberOption('--max-length', { integer: true, min: 2 }),
      PREPARE_DEFAULTS.maxLength,
    )
    .option('--json', 'print the report as one JSON document')
    .action(async (data: string, options: PrepareCommandOptions) => {
      let bar: ProgressBar | undefined;
      const manifest = await prepareFinetuneData({
        dataPath: data,
        imagesDir: options.images,
        model: options.model,
        outDir: options.out,
        validation: options.validation,
        seed: options.seed,
        maxLength: options.maxLength,
        onProgress: (done, total) => {
          bar ??= progressBar('prepare', total, { json: options.json });
          bar.update(done);
        },
        onWarning: (message) => {
          if (!options.json) process.stderr.write(`\r\x1b[2Kwarning: ${message}\n`);
        },
      });
      bar?.finish();
      if (options.json) {
        printJson({
          out: options.out,
          model: manifest.model,
          seed: manifest.seed,
          validation: manifest.validation,
          max_length: manifest.maxLength,
          counts: manifest.counts,
          dropped_rows: manifest.droppedRows,
          warnings: manifest.warnings,
        });
        return;
      }
      const { counts } = manifest;
      const lines = [`${data}: ${counts.rows} rows, ${counts.kept} kept, ${counts.dropped} dropped`];
      for (const row of manifest.droppedRows) lines.push(`  line ${row.line}: ${row.reason} (${row.detail})`);
      lines.push(
        `train: ${counts.train} rows, validation: ${counts.validation} rows, ${counts.images} images encoded, ${counts.truncated} truncated → ${options.out}`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
