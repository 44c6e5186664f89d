import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';

// Placeholder: replaced by the dataset work.
export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('Image–text datasets.');
  dataset
    .command('split')
    .allowUnknownOption()
    .argument('[inputs...]')
    .action(() => {
      throw new MmkitError('dataset split is not implemented yet', {
        code: 'not_implemented',
        type: 'unsupported_error',
      });
    });
}
