/** `mmkit say TEXT --out FILE.wav`: text to speech, written as a 16-bit PCM WAV (or MP3, Opus, AAC, FLAC by the name). */
import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';
import { say } from '../../tasks/say/say.ts';
import { loadCliModel, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson } from '../output.ts';

interface SayCommandOptions {
  out: string;
  model?: string;
  voice?: string;
  speed: number;
  dtype?: string;
  json?: boolean;
}

export function registerSayCommand(program: Command): void {
  program
    .command('say')
    .description('Speak text into an audio file: WAV (16-bit PCM), or MP3, Opus, AAC or FLAC by its name.')
    .argument('<text>', 'what to say')
    .requiredOption('--out <file.wav>', 'where to write the audio (.wav, .mp3, .opus/.ogg, .aac, .flac)')
    .option(
      '--model <id|dir>',
      'voice: espeak:cmn (default, offline), a VITS / MMS-TTS Hub id or folder, or a provider id',
    )
    .option('--voice <name>', "one of the model's voices")
    .option('--speed <x>', 'speaking speed, 1 is normal', numberOption('--speed', { min: 0.25, max: 4 }), 1)
    .option('--dtype <dtype>', 'ONNX weights to use: fp32, fp16, q8, …')
    .option('--json', 'print the result as JSON')
    .action(async (text: string, options: SayCommandOptions) => {
      if (text.trim() === '')
        throw new MmkitError('text is empty: give something to say', { code: 'text_empty', param: 'text' });
      const model = await loadCliModel('speech', options, { dtype: options.dtype });
      try {
        const result = await say({
          text,
          model,
          outPath: options.out,
          speed: options.speed,
          ...(options.voice !== undefined ? { voice: options.voice } : {}),
        });
        const summary = {
          path: result.path,
          model: model.description.id,
          sampleRate: result.sampleRate,
          durationSeconds: result.durationSeconds,
          timings: result.timings,
        };
        if (options.json) printJson(summary);
        else
          process.stdout.write(
            `wrote ${result.path} (${result.durationSeconds.toFixed(2)} s, ${result.sampleRate} Hz)\n`,
          );
      } finally {
        await releaseModels([model]);
      }
    });
}
