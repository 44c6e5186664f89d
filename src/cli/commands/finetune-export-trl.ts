/** `mmkit finetune export-trl PREPARED --out FILE.jsonl [--json]`: TRL's conversational format. */
import type { Command } from 'commander';
import { exportTrl } from '../../tasks/finetune/export-trl.ts';
import { openPreparedDataset } from '../../tasks/finetune/prepared-dataset.ts';
import { printJson } from '../output.ts';

export function registerFinetuneExportTrl(finetune: Command): void {
  finetune
    .command('export-trl')
    .description("Write the prepared rows in TRL's conversational format (train, and validation beside it).")
    .argument('<prepared>', 'folder written by `mmkit finetune prepare`')
    .requiredOption('--out <file.jsonl>', 'training rows; validation rows go to <name>.validation.jsonl')
    .option('--json', 'print the result as JSON')
    .action((prepared: string, options: { out: string; json?: boolean }) => {
      const written = exportTrl(openPreparedDataset(prepared), options.out);
      if (options.json) printJson(written);
      else {
        process.stdout.write(
          `train: ${written.train.rows} rows → ${written.train.path}\nvalidation: ${written.validation.rows} rows → ${written.validation.path}\n`,
        );
      }
    });
}
