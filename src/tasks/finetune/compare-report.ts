/** The comparison as a Markdown or HTML report: the summary table, then every answer side by side. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import type { CompareResult, ModelSummary } from './compare.ts';

const percent = (value: number) => `${(100 * value).toFixed(1)}`;
const summaryCells = (summary: ModelSummary) => [
  percent(summary.exactMatch),
  percent(summary.f1),
  summary.chrf.toFixed(1),
  summary.corpusChrf.toFixed(1),
];
const HEADER = ['', 'exact match %', 'token F1 %', 'chrF (mean)', 'chrF (corpus)'];

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export function compareMarkdown(result: CompareResult): string {
  const table = (rows: string[][]) => [
    `| ${rows[0].join(' | ')} |`,
    `|${rows[0].map(() => '---').join('|')}|`,
    ...rows.slice(1).map((row) => `| ${row.map(markdownCell).join(' | ')} |`),
  ];
  const { settings } = result;
  return [
    `# Fine-tuning comparison: ${result.model}`,
    '',
    `Adapter \`${result.adapter}\`, ${result.rows.length} validation questions from \`${result.prepared}\`; ` +
      `answers with max ${settings.maxNewTokens} tokens, temperature ${settings.temperature}, top-p ${settings.topP}, seed ${settings.seed}.`,
    '',
    ...table([HEADER, ['base', ...summaryCells(result.base)], ['base + adapter', ...summaryCells(result.tuned)]]),
    '',
    '## Answers',
    '',
    ...table([
      ['#', 'image', 'question', 'reference', 'base', 'base + adapter', 'F1 base → tuned'],
      ...result.rows.map((row, index) => [
        String(index + 1),
        row.image,
        row.question,
        row.reference,
        row.base.answer,
        row.tuned.answer,
        `${percent(row.base.f1)} → ${percent(row.tuned.f1)}`,
      ]),
    ]),
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function compareHtml(result: CompareResult): string {
  const row = (cells: string[], tag = 'td') =>
    `<tr>${cells.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join('')}</tr>`;
  const { settings } = result;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fine-tuning comparison: ${escapeHtml(result.model)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}</style>
</head><body>
<h1>Fine-tuning comparison: ${escapeHtml(result.model)}</h1>
<p>Adapter <code>${escapeHtml(result.adapter)}</code>, ${result.rows.length} validation questions from <code>${escapeHtml(result.prepared)}</code>; answers with max ${settings.maxNewTokens} tokens, temperature ${settings.temperature}, top-p ${settings.topP}, seed ${settings.seed}.</p>
<table>${row(HEADER, 'th')}${row(['base', ...summaryCells(result.base)])}${row(['base + adapter', ...summaryCells(result.tuned)])}</table>
<h2>Answers</h2>
<table>${row(['#', 'image', 'question', 'reference', 'base', 'base + adapter', 'F1 base → tuned'], 'th')}${result.rows
    .map((entry, index) =>
      row([
        String(index + 1),
        entry.image,
        entry.question,
        entry.reference,
        entry.base.answer,
        entry.tuned.answer,
        `${percent(entry.base.f1)} → ${percent(entry.tuned.f1)}`,
      ]),
    )
    .join('')}</table>
</body></html>
`;
}

/** Writes the report as Markdown (`.md`) or HTML (`.html`/`.htm`), atomically. */
export function writeCompareReport(path: string, result: CompareResult): void {
  const extension = extname(path).toLowerCase();
  if (!['.md', '.html', '.htm'].includes(extension)) {
    throw new MmkitError(`${path}: the report must end in .md or .html`, { code: 'invalid_option', param: 'report' });
  }
  const text = extension === '.md' ? compareMarkdown(result) : compareHtml(result);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new MmkitError(`cannot write ${path} (${describeError(error)})`, {
      code: 'output_unwritable',
      param: 'report',
    });
  }
}
