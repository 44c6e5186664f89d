/** `mmkit finetune compare --adapter DIR PREPARED [--report FILE.md|.html] [--limit N] [--json]` */
import type { Command } from 'commander';
import type { ChatModel } from '../../models/spec/index.ts';
import { type CompareResult, compareAdapter } from '../../tasks/finetune/compare.ts';
import { writeCompareReport } from '../../tasks/finetune/compare-report.ts';
import { openPreparedDataset } from '../../tasks/finetune/prepared-dataset.ts';
import { adapterFolder, openRegistry, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';

interface CompareCommandOptions {
  adapter: string;
  report?: string;
  limit?: number;
  config?: string;
  json?: boolean;
}

function summaryLine(label: string, summary: CompareResult['base']): string {
  return `${label.padEnd(16)} exact match ${(100 * summary.exactMatch).toFixed(1)}%  token F1 ${(100 * summary.f1).toFixed(1)}%  chrF ${summary.chrf.toFixed(1)}`;
}

export function registerFinetuneCompare(finetune: Command): void {
  finetune
    .command('compare')
    .description(
      'Answer the validation questions with the base model and with the adapter; exact match, token F1, chrF.',
    )
    .argument('<prepared>', 'folder written by `mmkit finetune prepare`')
    .requiredOption('--adapter <dir>', 'adapter folder written by `mmkit finetune train` (or by PEFT)')
    .option('--report <file>', 'also write the comparison as Markdown (.md) or HTML (.html)')
    .option('--limit <n>', 'only the first N validation rows', numberOption('--limit', { integer: true, min: 1 }))
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--json', 'print the result as JSON')
    .action(async (prepared: string, options: CompareCommandOptions) => {
      const dataset = openPreparedDataset(prepared);
      // Fails fast on a folder that is not a PEFT adapter, before any model loads.
      const adapter = adapterFolder(options.adapter);
      const model = dataset.manifest.modelFolder;
      const registry = await openRegistry(options);
      let base: ChatModel | undefined;
      let tuned: ChatModel | undefined;
      let bar: ProgressBar | undefined;
      try {
        base = await registry.load('visionChat', model);
        // The same model with the adapter applied at load (onnx models patch their decoder graphs).
        tuned = await registry.load('visionChat', model, { options: { adapter } });
        const result = await compareAdapter({
          dataset,
          base,
          tuned,
          adapter: options.adapter,
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          onProgress: (done, total) => {
            bar ??= progressBar('compare', total, { json: options.json });
            bar.update(done);
          },
        });
        bar?.finish();
        if (options.report) writeCompareReport(options.report, result);
        if (options.json) printJson({ ...result, report: options.report ?? null });
        else {
          const lines = [summaryLine('base', result.base), summaryLine('base + adapter', result.tuned)];
          if (options.report) lines.push(`report → ${options.report}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } finally {
        await releaseModels([base, tuned]);
      }
    });
}
