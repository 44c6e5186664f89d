/** `mmkit chat TEXT`: a short, spoken-style answer from the chat model, streamed on a terminal. */
import type { Command } from 'commander';
import { CHAT_DEFAULTS, type ChatReply, chat } from '../../tasks/chat/chat.ts';
import { adapterFolder, loadCliModel, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson } from '../output.ts';

interface ChatCommandOptions {
  model?: string;
  system?: string;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed?: number;
  config?: string;
  json?: boolean;
  adapter?: string;
}

export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description("Answer TEXT briefly and conversationally, in the user's language.")
    .argument('<text>', 'what to say to the model')
    .option('--model <id>', 'chat model: Hub id, local folder, openai:MODEL@URL or a config name')
    .option('--system <text>', 'system prompt instead of the default instruction ("" for none)')
    .option(
      '--max-new-tokens <n>',
      'longest answer, in tokens',
      numberOption('--max-new-tokens', { integer: true, min: 1 }),
      CHAT_DEFAULTS.maxNewTokens,
    )
    .option(
      '--temperature <t>',
      'sampling temperature (0: greedy)',
      numberOption('--temperature', { min: 0, max: 2 }),
      CHAT_DEFAULTS.temperature,
    )
    .option('--top-p <p>', 'nucleus sampling mass', numberOption('--top-p', { min: 0.01, max: 1 }), CHAT_DEFAULTS.topP)
    .option('--seed <n>', 'sampling seed, for repeatable answers', numberOption('--seed', { integer: true, min: 0 }))
    .option('--adapter <dir>', 'LoRA adapter folder (PEFT format) applied to the model at load')
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--json', 'print the answer and its details as JSON')
    .action(async (text: string, options: ChatCommandOptions) => {
      const model = await loadCliModel('chat', options, { adapter: adapterFolder(options.adapter) });
      try {
        const streaming = !options.json && process.stdout.isTTY === true;
        const reply = await chat({
          text,
          model,
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature,
          topP: options.topP,
          ...(options.system === undefined ? {} : { system: options.system }),
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          ...(streaming ? { onTextDelta: (delta: string) => process.stdout.write(delta) } : {}),
        });
        if (options.json) printJson(jsonReport(reply));
        else process.stdout.write(streaming ? '\n' : `${reply.text}\n`);
      } finally {
        await releaseModels([model]);
      }
    });
}

export function jsonReport(reply: ChatReply): object {
  return {
    text: reply.text,
    finishReason: reply.finishReason,
    usage: reply.usage,
    language: reply.language,
    model: reply.model,
    timings: roundTimings(reply.timings),
  };
}

export function roundTimings(timings: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(timings)
      .filter(([, value]) => typeof value === 'number')
      .map(([key, value]) => [key, Math.round(value * 10) / 10]),
  );
}
