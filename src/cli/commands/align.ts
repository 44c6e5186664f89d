/** `mmkit align AUDIO TRANSCRIPT`: when each word of the transcript is spoken (CTC forced alignment). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type Dtype, isDtype } from '../../models/hub/file-selection.ts';
import { resolveModelFolder } from '../../models/hub/resolve-model-folder.ts';
import { OnnxCtcModel } from '../../models/providers/onnx/ctc-model.ts';
import { type AlignResult, align, DEFAULT_ALIGN_MAX_SECONDS } from '../../tasks/align/align.ts';
import { numberOption } from '../options.ts';
import { type ProgressBar, printJson, progressBar } from '../output.ts';

/** The seed's model (facebook/wav2vec2-base-960h), in its Transformers.js ONNX conversion. */
export const DEFAULT_ALIGN_MODEL = 'Xenova/wav2vec2-base-960h';

interface AlignCommandOptions {
  model: string;
  dtype?: Dtype;
  maxSeconds: number;
  json?: boolean;
}

export function registerAlignCommand(program: Command): void {
  program
    .command('align')
    .description('Forced alignment: start and end time of each word (and character) of TRANSCRIPT in AUDIO.')
    .argument('<audio>', 'audio file (WAV, MP3, FLAC, Ogg, WebM, M4A)')
    .argument('<transcript>', 'the words spoken in the audio')
    .option('--model <id|dir>', 'wav2vec2 CTC model: Hub id or local folder', DEFAULT_ALIGN_MODEL)
    .option('--dtype <dtype>', 'ONNX weights to load: fp32, fp16, q8, int8, uint8, q4, bnb4 (default fp32)', parseDtype)
    .option(
      '--max-seconds <seconds>',
      'refuse longer audio',
      numberOption('--max-seconds', { min: 0.1 }),
      DEFAULT_ALIGN_MAX_SECONDS,
    )
    .option('--json', 'print the alignment as JSON')
    .action(async (audio: string, transcript: string, options: AlignCommandOptions) => {
      let bar: ProgressBar | undefined;
      const folder = await resolveModelFolder(options.model, {
        dtype: options.dtype,
        onProgress: (progress) => {
          if (progress.phase !== 'downloading' || progress.total <= 0) return;
          bar ??= progressBar(`pulling ${options.model}`, progress.total, { json: options.json });
          bar.update(progress.bytes, progress.file);
        },
      });
      bar?.finish();
      const model = await OnnxCtcModel.load(folder, { id: options.model, dtype: options.dtype });
      try {
        const result = await align({ audio, transcript, model, maxSeconds: options.maxSeconds });
        if (options.json) printJson(jsonReport(result));
        else printTable(result);
      } finally {
        await model.dispose();
      }
    });
}

function parseDtype(value: string): Dtype {
  if (!isDtype(value))
    throw new InvalidArgumentError(
      `--dtype must be one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4; got '${value}'`,
    );
  return value;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function jsonReport(result: AlignResult): object {
  return {
    transcript: result.transcript,
    normalizedTranscript: result.normalizedTranscript,
    words: result.words.map((word) => ({ ...word, score: round(word.score, 4) })),
    characters: result.characters.map((character) => ({ ...character, score: round(character.score, 4) })),
    score: round(result.score, 4),
    logProbability: round(result.logProbability, 4),
    durationSeconds: round(result.durationSeconds, 6),
    secondsPerFrame: result.secondsPerFrame,
    model: result.model,
    warnings: result.warnings,
  };
}

function printTable(result: AlignResult): void {
  const rows = [
    ['WORD', 'START', 'END', 'SCORE'],
    ...result.words.map((word) => [word.word, word.start.toFixed(3), word.end.toFixed(3), word.score.toFixed(2)]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
    );
    process.stdout.write(`${cells.join('  ')}\n`);
  }
  process.stdout.write(
    `score ${result.score.toFixed(2)} over ${result.durationSeconds.toFixed(2)} s (${result.path.length} frames), model ${result.model}\n`,
  );
  for (const warning of result.warnings) process.stderr.write(`mmkit: warning: ${warning}\n`);
}
