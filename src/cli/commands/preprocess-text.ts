import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';

// Placeholder: replaced by the text preprocessing work.
export function registerPreprocessText(preprocess: Command): void {
  preprocess
    .command('text')
    .allowUnknownOption()
    .argument('[inputs...]')
    .action(() => {
      throw new MmkitError('preprocess text is not implemented yet', {
        code: 'not_implemented',
        type: 'unsupported_error',
      });
    });
}
