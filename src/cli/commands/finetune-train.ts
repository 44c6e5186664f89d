/**
 * `mmkit finetune train PREPARED --out ADAPTER_DIR [--rank 8] [--alpha 32] [--dropout 0.05]
 * [--targets q_proj,k_proj,v_proj,o_proj] [--batch-size 4] [--accumulation 4] [--learning-rate 2e-4]
 * [--epochs 5] [--warmup-ratio 0.05] [--qlora [nf4|int4]] [--device cpu|cuda] [--resume] [--seed 42] [--json]`
 */
import type { Command } from 'commander';
import { parseQuantizationFormat } from '../../finetune/model/block-quantization.ts';
import type { TrainingLogEntry } from '../../finetune/train/training-loop.ts';
import { parseTargets, TRAINING_DEFAULTS } from '../../finetune/train/training-settings.ts';
import { trainAdapter } from '../../tasks/finetune/train.ts';
import { numberOption } from '../options.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';

interface TrainCommandOptions {
  out: string;
  rank: number;
  alpha: number;
  dropout: number;
  targets: string;
  batchSize: number;
  accumulation: number;
  learningRate: number;
  epochs: number;
  warmupRatio: number;
  qlora?: string | boolean;
  device: string;
  resume?: boolean;
  seed: number;
  json?: boolean;
}

const positiveInteger = (flag: string) => numberOption(flag, { integer: true, min: 1 });

function describeMemory(bytes: number | null): string {
  return bytes === null ? 'unavailable' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function describeLog(entry: TrainingLogEntry): string {
  if (entry.type === 'train') {
    return `step ${entry.step} (epoch ${entry.epoch.toFixed(2)}): loss ${entry.loss.toFixed(4)}, learning rate ${entry.learningRate.toExponential(2)}, grad norm ${entry.gradientNorm.toFixed(3)}`;
  }
  const loss = entry.loss === null ? 'no validation rows' : `evaluation loss ${entry.loss.toFixed(4)}`;
  return `epoch ${entry.epoch} done at step ${entry.step}: ${loss}${entry.checkpoint ? `, checkpoint ${entry.checkpoint}` : ''}`;
}

export function registerFinetuneTrain(finetune: Command): void {
  const defaults = TRAINING_DEFAULTS;
  finetune
    .command('train')
    .description(
      'Train a LoRA adapter on a prepared folder; a checkpoint each epoch, a PEFT adapter folder at the end.',
    )
    .argument('<prepared>', 'folder written by `mmkit finetune prepare`')
    .requiredOption('--out <dir>', 'adapter folder (adapter_config.json, adapter_model.safetensors, checkpoints/)')
    .option('--rank <r>', 'LoRA rank', positiveInteger('--rank'), defaults.rank)
    .option('--alpha <a>', 'LoRA alpha (scale alpha/r)', numberOption('--alpha', { min: 0 }), defaults.alpha)
    .option('--dropout <p>', 'LoRA dropout', numberOption('--dropout', { min: 0, max: 1 }), defaults.dropout)
    .option('--targets <list>', 'projections to adapt, comma-separated', defaults.targets.join(','))
    .option('--batch-size <n>', 'rows per micro-batch', positiveInteger('--batch-size'), defaults.batchSize)
    .option(
      '--accumulation <n>',
      'micro-batches per optimizer step',
      positiveInteger('--accumulation'),
      defaults.accumulation,
    )
    .option(
      '--learning-rate <lr>',
      'peak learning rate',
      numberOption('--learning-rate', { min: 0 }),
      defaults.learningRate,
    )
    .option('--epochs <n>', 'passes over the training rows', positiveInteger('--epochs'), defaults.epochs)
    .option(
      '--warmup-ratio <r>',
      'share of steps for the linear warm-up',
      numberOption('--warmup-ratio', { min: 0, max: 1 }),
      defaults.warmupRatio,
    )
    .option('--qlora [format]', 'QLoRA: keep the frozen weights in 4-bit blocks, nf4 (default) or int4')
    .option('--device <device>', "cpu, or cuda (needs onnxruntime-node's CUDA provider)", 'cpu')
    .option('--resume', 'continue from the newest checkpoint in <out>/checkpoints')
    .option(
      '--seed <n>',
      'seed of LoRA init, data order and dropout',
      numberOption('--seed', { integer: true, min: 0 }),
      defaults.seed,
    )
    .option('--json', 'print the result as JSON')
    .action(async (prepared: string, options: TrainCommandOptions) => {
      const targets = parseTargets(options.targets);
      const qlora = options.qlora === undefined ? undefined : parseQuantizationFormat(options.qlora);
      let bar: ProgressBar | undefined;
      const stopped = new AbortController();
      const stop = () => stopped.abort();
      process.once('SIGINT', stop);
      const say = (line: string) => {
        // On a terminal the line first clears the progress bar drawn in its place.
        if (!options.json) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${line}\n`);
      };
      try {
        const result = await trainAdapter({
          prepared,
          out: options.out,
          resume: options.resume ?? false,
          ...(qlora ? { qlora } : {}),
          device: options.device,
          settings: {
            rank: options.rank,
            alpha: options.alpha,
            dropout: options.dropout,
            targets,
            batchSize: options.batchSize,
            accumulation: options.accumulation,
            learningRate: options.learningRate,
            epochs: options.epochs,
            warmupRatio: options.warmupRatio,
            seed: options.seed,
          },
          onLog: (entry) => say(describeLog(entry)),
          onWarning: (message) => say(`warning: ${message}`),
          onProgress: (progress) => {
            bar ??= progressBar('train', progress.totalSteps, { json: options.json });
            bar.update(
              progress.step,
              `loss ${progress.loss.toFixed(4)} lr ${progress.learningRate.toExponential(1)} ${progress.tokensPerSecond.toFixed(0)} tok/s eta ${progress.etaSeconds.toFixed(0)}s`,
            );
          },
          signal: stopped.signal,
        });
        bar?.finish();
        if (options.json) {
          printJson({
            adapter: result.adapter,
            files: result.files,
            checkpoints: result.checkpoints,
            model: result.model,
            settings: result.settings,
            frozen_weights: result.frozenWeights,
            peak_memory_bytes: result.peakMemoryBytes,
            total_steps: result.totalSteps,
            train_rows: result.trainRows,
            validation_rows: result.validationRows,
            resumed_from: result.resumedFrom ?? null,
            log: result.log,
          });
        } else {
          const evaluations = result.log.filter((entry) => entry.type === 'evaluation' && entry.loss !== null);
          const lines = [
            `${prepared} → adapter ${result.adapter} (${result.totalSteps} steps on ${result.trainRows} rows, frozen weights ${result.frozenWeights})`,
          ];
          if (evaluations.length > 0) {
            lines.push(`evaluation loss ${evaluations.map((entry) => entry.loss?.toFixed(4)).join(' → ')}`);
          }
          lines.push(`peak memory ${describeMemory(result.peakMemoryBytes)}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
