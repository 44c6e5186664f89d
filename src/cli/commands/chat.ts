/** `mmkit chat TEXT`: a short, spoken-style answer from the chat model, streamed on a terminal. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeError, MmkitError } from '../../errors.ts';
import { CHAT_DEFAULTS, type ChatReply, chat } from '../../tasks/chat/chat.ts';
import { adapterFolder, loadCliModel, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson, thinkingEcho } from '../output.ts';

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
  schema?: string;
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
    .option('--schema <file>', 'answer with JSON that matches the JSON Schema in FILE')
    .option('--adapter <dir>', 'LoRA adapter folder (PEFT format) applied to the model at load')
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--json', 'print the answer and its details as JSON')
    .action(async (text: string, options: ChatCommandOptions) => {
      const schema = options.schema === undefined ? undefined : await readSchema(options.schema);
      const model = await loadCliModel('chat', options, { adapter: adapterFolder(options.adapter) });
      try {
        const streaming = !options.json && process.stdout.isTTY === true;
        const thinking = thinkingEcho({ json: !streaming });
        const reply = await chat({
          text,
          model,
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature,
          topP: options.topP,
          ...(options.system === undefined ? {} : { system: options.system }),
          ...(options.seed === undefined ? {} : { seed: options.seed }),
          ...(schema === undefined ? {} : { responseFormat: { type: 'json' as const, schema } }),
          ...(streaming
            ? {
                onTextDelta: (delta: string) => {
                  thinking.end();
                  process.stdout.write(delta);
                },
                onReasoningDelta: (delta: string) => thinking.write(delta),
              }
            : {}),
        });
        thinking.end();
        if (options.json) printJson(jsonReport(reply));
        else process.stdout.write(streaming ? '\n' : `${reply.text}\n`);
      } finally {
        await releaseModels([model]);
      }
    });
}

async function readSchema(file: string): Promise<Record<string, unknown>> {
  let schema: unknown;
  try {
    schema = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new MmkitError(`--schema ${file}: ${describeError(error)}`, { code: 'schema_unreadable', param: '--schema' });
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new MmkitError(`--schema ${file}: a JSON Schema is an object`, {
      code: 'schema_unreadable',
      param: '--schema',
    });
  }
  return schema as Record<string, unknown>;
}

export function jsonReport(reply: ChatReply): object {
  return {
    text: reply.text,
    ...(reply.reasoning === undefined ? {} : { reasoning: reply.reasoning }),
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
