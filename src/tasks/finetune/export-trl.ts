/**
 * The prepared rows in TRL's conversational vision format, one JSON object per line:
 * `{"messages": [user: image + question, assistant: answer], "images": [absolute path]}`, which
 * TRL's SFTTrainer takes for vision-language fine-tuning on a GPU cluster. The training split goes
 * to `out`, the validation split beside it (`<name>.validation.jsonl`); both written atomically.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { type PreparedDataset, type PreparedRow, rowImagePath } from './prepared-dataset.ts';
import { trainingMessages } from './training-conversation.ts';

export interface TrlExport {
  train: { path: string; rows: number };
  validation: { path: string; rows: number };
}

export function trlLine(dataset: PreparedDataset, row: PreparedRow): string {
  return JSON.stringify({ messages: trainingMessages(row.question, row.answer), images: [rowImagePath(dataset, row)] });
}

export function validationPath(out: string): string {
  const name = basename(out).replace(/\.jsonl$/i, '');
  return join(dirname(out), `${name}.validation.jsonl`);
}

function writeLines(path: string, lines: readonly string[]): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    writeFileSync(temporary, lines.map((line) => `${line}\n`).join(''));
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new MmkitError(`cannot write ${path} (${describeError(error)})`, { code: 'output_unwritable', param: 'out' });
  }
}

export function exportTrl(dataset: PreparedDataset, out: string): TrlExport {
  const { train, validationRows } = dataset.manifest;
  const validation = validationPath(out);
  writeLines(
    out,
    train.map((row) => trlLine(dataset, row)),
  );
  writeLines(
    validation,
    validationRows.map((row) => trlLine(dataset, row)),
  );
  return { train: { path: out, rows: train.length }, validation: { path: validation, rows: validationRows.length } };
}
