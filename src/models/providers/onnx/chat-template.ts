/**
 * Where a model keeps its chat template. Older repos put it in `tokenizer_config.json` (which
 * Transformers.js reads); newer ones in `chat_template.jinja` or `chat_template.json` beside it,
 * which Transformers.js ignores for most models, so we read them and pass the template explicitly.
 * Precedence follows Hugging Face transformers: `.jinja`, then `.json`, then the tokenizer config.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../../errors.ts';
import { readOptionalJsonFile } from './model-folder.ts';

export interface ChatTemplateSource {
  template: string;
  file: string;
}

function pickTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // A list of named templates: use `default`, as transformers does.
  if (Array.isArray(value)) {
    const named = value.find((entry) => entry && typeof entry === 'object' && entry.name === 'default');
    return typeof named?.template === 'string' ? named.template : undefined;
  }
  return undefined;
}

/** The template from a file beside the tokenizer, or undefined when only the tokenizer config has one. */
export async function readChatTemplateFile(folder: string): Promise<ChatTemplateSource | undefined> {
  const jinjaPath = join(folder, 'chat_template.jinja');
  if ((await stat(jinjaPath).catch(() => undefined))?.isFile()) {
    try {
      return { template: await readFile(jinjaPath, 'utf8'), file: 'chat_template.jinja' };
    } catch (error) {
      throw new MmkitError(`${jinjaPath}: cannot read (${describeError(error)})`, {
        code: 'model_unreadable',
        param: jinjaPath,
      });
    }
  }
  const json = await readOptionalJsonFile(join(folder, 'chat_template.json'));
  const template = pickTemplate(json?.chat_template);
  return template === undefined ? undefined : { template, file: 'chat_template.json' };
}
