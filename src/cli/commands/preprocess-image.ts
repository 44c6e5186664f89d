import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';

// Placeholder: replaced by the image preprocessing work.
export function registerPreprocessImage(preprocess: Command): void {
  preprocess
    .command('image')
    .allowUnknownOption()
    .argument('[inputs...]')
    .action(() => {
      throw new MmkitError('preprocess image is not implemented yet', {
        code: 'not_implemented',
        type: 'unsupported_error',
      });
    });
}
