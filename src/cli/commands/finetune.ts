import type { Command } from 'commander';
import { registerFinetuneCompare } from './finetune-compare.ts';
import { registerFinetuneExportTrl } from './finetune-export-trl.ts';
import { registerFinetunePrepare } from './finetune-prepare.ts';
import { registerFinetuneTrain } from './finetune-train.ts';

export function registerFinetuneCommands(program: Command): void {
  const finetune = program
    .command('finetune')
    .description('LoRA fine-tuning of a vision-language model: prepare data, train, compare, export.');
  registerFinetunePrepare(finetune);
  registerFinetuneTrain(finetune);
  registerFinetuneCompare(finetune);
  registerFinetuneExportTrl(finetune);
}
