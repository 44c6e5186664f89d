import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';

// Placeholder: replaced by the audio preprocessing work.
export function registerPreprocessAudio(preprocess: Command): void {
  preprocess
    .command('audio')
    .allowUnknownOption()
    .argument('[inputs...]')
    .action(() => {
      throw new MmkitError('preprocess audio is not implemented yet', {
        code: 'not_implemented',
        type: 'unsupported_error',
      });
    });
}
