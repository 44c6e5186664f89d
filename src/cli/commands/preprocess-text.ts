/** `mmkit preprocess text TEXT... --tokenizer DIR|REPO [--max-length 77] [--out IDS.npy] [--json]` */
import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';
import { writeNpy } from '../../media/npy.ts';
import { DEFAULT_MAX_LENGTH, loadTextTokenizer, type TextTokenizer } from '../../preprocess/text/tokenize.ts';
import { numberOption } from '../options.ts';
import { printJson } from '../output.ts';

export const DEFAULT_TOKENIZER = 'openai/clip-vit-base-patch32';

interface TextOptions {
  tokenizer: string;
  maxLength: number;
  out?: string;
  json?: boolean;
}

export function registerPreprocessText(preprocess: Command): void {
  preprocess
    .command('text')
    .description('Tokenize texts for CLIP: input_ids and attention_mask, int64 [batch, max-length].')
    .argument('[texts...]', 'texts to tokenize (one row each)')
    .option('--tokenizer <dir|repo>', 'tokenizer folder or Hugging Face repo id', DEFAULT_TOKENIZER)
    .option(
      '--max-length <n>',
      'tokens per row, start and end tokens included',
      numberOption('--max-length', { integer: true, min: 2 }),
      DEFAULT_MAX_LENGTH,
    )
    .option('--out <file.npy>', 'also write input_ids as an int64 .npy file')
    .option('--json', 'print one JSON document')
    .action(async (texts: string[], options: TextOptions) => {
      if (texts.length === 0) {
        throw new MmkitError('no text given: pass one or more texts to tokenize', { code: 'no_input', param: 'texts' });
      }
      const tokenizer = await loadTextTokenizer(options.tokenizer);
      const result = tokenizer.tokenize(texts, { maxLength: options.maxLength });
      if (options.out) await writeNpy(options.out, { dtype: 'int64', shape: result.shape, data: result.inputIds });
      const [batch, length] = result.shape;
      const inputIds = toRows(result.inputIds, length);
      const attentionMask = toRows(result.attentionMask, length);
      const tokens = inputIds.map((ids, row) => visibleTokens(tokenizer, ids, attentionMask[row]));
      if (options.json) {
        printJson({
          input_ids: inputIds,
          attention_mask: attentionMask,
          shape: [batch, length],
          tokens,
          ...(options.out ? { out: options.out } : {}),
        });
        return;
      }
      texts.forEach((text, row) => {
        process.stdout.write(`${JSON.stringify(text)}: ${tokens[row].length} tokens\n`);
        process.stdout.write(`  tokens: ${tokens[row].join(' ')}\n`);
        process.stdout.write(`  ids:    ${inputIds[row].slice(0, tokens[row].length).join(' ')}\n`);
      });
      process.stdout.write(`shape [${batch}, ${length}], padded with id ${tokenizer.padId}\n`);
      if (options.out) process.stdout.write(`wrote input_ids to ${options.out}\n`);
    });
}

function toRows(values: BigInt64Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let offset = 0; offset < values.length; offset += width) {
    rows.push(Array.from(values.subarray(offset, offset + width), Number));
  }
  return rows;
}

/** The tokens that carry attention (padding left out), for people to read. */
function visibleTokens(tokenizer: TextTokenizer, ids: number[], mask: number[]): string[] {
  return tokenizer.tokens(ids.filter((_, index) => mask[index] === 1));
}
