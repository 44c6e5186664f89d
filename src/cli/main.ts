/**
 * The `mmkit` command line: a thin shell over the library. Each command lives in its own file under
 * `commands/`; this file wires them up and turns every failure into one line on stderr.
 */
import { Command, CommanderError } from 'commander';
import { describeError, isMmkitError } from '../errors.ts';
import { version } from '../version.ts';
import { registerAlignCommand } from './commands/align.ts';
import { registerAskCommand } from './commands/ask.ts';
import { registerAssistantCommand } from './commands/assistant.ts';
import { registerChatCommand } from './commands/chat.ts';
import { registerDatasetCommands } from './commands/dataset.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerFinetuneCommands } from './commands/finetune.ts';
import { registerImagineCommand } from './commands/imagine.ts';
import { registerModelsCommands } from './commands/models.ts';
import { registerPreprocessCommands } from './commands/preprocess.ts';
import { registerSayCommand } from './commands/say.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTestkitCommands } from './commands/testkit.ts';
import { registerTranscribeCommand } from './commands/transcribe.ts';

export function buildProgram(): Command {
  const program = new Command('mmkit')
    .description('A multimodal toolkit: preprocessing, visual question answering, text-to-image, voice.')
    .version(version)
    .showHelpAfterError(false)
    .configureOutput({
      writeErr: (text) => process.stderr.write(text.startsWith('error:') ? `mmkit: ${text.slice(7)}` : text),
    })
    .exitOverride();
  registerPreprocessCommands(program);
  registerDatasetCommands(program);
  registerDemoCommand(program);
  registerModelsCommands(program);
  registerTestkitCommands(program);
  registerAlignCommand(program);
  registerImagineCommand(program);
  registerChatCommand(program);
  registerAssistantCommand(program);
  registerAskCommand(program);
  registerTranscribeCommand(program);
  registerFinetuneCommands(program);
  registerSayCommand(program);
  registerServeCommand(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its one-line reason (or the help/version text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isMmkitError(error)) {
    process.stderr.write(`mmkit: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`mmkit: internal error: ${describeError(error)}\n`);
  if (process.env.MMKIT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
