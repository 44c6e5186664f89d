import type { Command } from 'commander';
import { version } from '../../version.ts';
import { printJson } from '../output.ts';

// Placeholder until the preprocessing layer lands: `npm start` runs this.
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the preprocessing layer on sample data the repository makes itself.')
    .action(() => {
      printJson({ mmkit: version });
    });
}
