import type { Command } from 'commander';
import { buildTinyModel, describeTinyArchitecture, supportedTinyArchitectures } from '../../../testkit/build.ts';
import { printJson } from '../output.ts';

/** `mmkit testkit build ARCH DIR`: tiny models with meaningful weights, for anyone's CI. */
export function registerTestkitCommands(program: Command): void {
  const testkit = program.command('testkit').description('Tiny models with fixed, meaningful weights for tests.');
  testkit
    .command('build')
    .description(
      `Write a tiny model in Hugging Face / Transformers.js layout. ARCH: ${supportedTinyArchitectures().join(', ')}.`,
    )
    .argument('<arch>', 'architecture')
    .argument('<dir>', 'output folder (created if missing)')
    .option('--json', 'print the result as JSON')
    .action(async (architecture: string, directory: string, options: { json?: boolean }) => {
      const result = await buildTinyModel(architecture, directory);
      if (options.json) {
        printJson({ ...result, description: describeTinyArchitecture(architecture) });
      } else {
        process.stdout.write(`built ${architecture} in ${result.directory} (${result.files.length} files)\n`);
      }
    });
}
