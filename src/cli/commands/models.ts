/** `mmkit models pull|list|rm|ps`: the model cache from the command line, and a server's loaded models. */
import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';
import { listCachedModels, removeCachedModel } from '../../models/hub/cache-inventory.ts';
import { modelsRoot } from '../../models/hub/cache-layout.ts';
import { parseDtypeChoice } from '../../models/hub/file-selection.ts';
import { type PullProgress, pullModel } from '../../models/hub/pull.ts';
import { hubSettings } from '../../models/hub/settings.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';
import { registerModelsPsCommand } from './models-ps.ts';

export function registerModelsCommands(program: Command): void {
  const models = program
    .command('models')
    .description('Download, list and remove cached models (Hugging Face Hub); show what a server has loaded.');

  models
    .command('pull')
    .description('Download the files a model needs into the cache (MMKIT_HOME), resuming interrupted downloads.')
    .argument('<id>', 'Hub model id, e.g. onnx-community/whisper-tiny')
    .option(
      '--dtype <dtype>',
      'ONNX weights to fetch: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4, all, or graph=dtype,…',
    )
    .option('--revision <revision>', 'branch, tag or commit', 'main')
    .option('--include <glob...>', 'also fetch repo files matching these globs')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, options: { dtype?: string; revision: string; include?: string[]; json?: boolean }) => {
      const controller = new AbortController();
      const interrupt = () =>
        controller.abort(
          new MmkitError(`pull of ${id} interrupted: run the same command again to resume`, { code: 'interrupted' }),
        );
      process.once('SIGINT', interrupt);
      const display = new PullDisplay(id, Boolean(options.json));
      try {
        const result = await pullModel(id, {
          dtype: options.dtype === undefined ? undefined : parseDtypeChoice(options.dtype),
          revision: options.revision,
          include: options.include,
          signal: controller.signal,
          onProgress: (progress) => display.update(progress),
        });
        display.finish();
        if (options.json) return printJson(result);
        process.stdout.write(
          `pulled ${result.id} (${result.revision}, commit ${result.commit.slice(0, 7)}): ${result.files.length} files, ${humanBytes(result.totalBytes)} (${humanBytes(result.downloadedBytes)} downloaded) in ${result.folder}\n`,
        );
      } finally {
        display.finish();
        process.removeListener('SIGINT', interrupt);
      }
    });

  models
    .command('list')
    .alias('ls')
    .description('List cached models: id, revision, files and size on disk.')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const cached = await listCachedModels();
      if (options.json) return printJson(cached);
      if (cached.length === 0) {
        process.stdout.write(
          `no models in the cache (${modelsRoot(hubSettings().home)}): add one with mmkit models pull ID\n`,
        );
        return;
      }
      const rows = [
        ['ID', 'REVISION', 'COMMIT', 'FILES', 'SIZE'],
        ...cached.map((model) => [
          model.id,
          model.revision,
          model.commit.slice(0, 7),
          String(model.files),
          humanBytes(model.sizeBytes),
        ]),
      ];
      const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows)
        process.stdout.write(
          `${row
            .map((cell, column) => cell.padEnd(widths[column]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    });

  models
    .command('rm')
    .alias('remove')
    .description('Remove a model (all its revisions) from the cache.')
    .argument('<id>', 'Hub model id')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const removed = await removeCachedModel(id);
      if (options.json) return printJson(removed);
      process.stdout.write(`removed ${removed.id} (${humanBytes(removed.freedBytes)} freed)\n`);
    });

  registerModelsPsCommand(models);
}

/** Turns pull progress into one terminal progress bar over the total bytes. */
class PullDisplay {
  private bar: ProgressBar | undefined;
  private finished = false;

  constructor(
    private readonly id: string,
    private readonly json: boolean,
  ) {}

  update(progress: PullProgress): void {
    if (progress.phase === 'waiting' && !this.json && process.stderr.isTTY) {
      process.stderr.write(`waiting for another mmkit process that is pulling ${this.id}…\n`);
    }
    if (progress.phase !== 'downloading' || progress.total <= 0) return;
    this.bar ??= progressBar(`pulling ${this.id}`, progress.total, { json: this.json });
    const file = progress.file ? ` ${progress.file}` : '';
    this.bar.update(progress.bytes, `${humanBytes(progress.bytes)}${file}`);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.bar?.finish();
  }
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
