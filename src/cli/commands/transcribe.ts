/** `mmkit transcribe AUDIO`: speech to text in OpenAI's output formats (the seed's ASR step). */
import { type Command, InvalidArgumentError } from 'commander';
import { parseDtypeChoice } from '../../models/hub/file-selection.ts';
import { resolveModelFolder } from '../../models/hub/resolve-model-folder.ts';
import { formatTranscript, TRANSCRIPT_FORMATS, type TranscriptFormat } from '../../tasks/transcribe/formats.ts';
import { DEFAULT_MAX_SECONDS, loadSpeech, transcribe } from '../../tasks/transcribe/transcribe.ts';
import { numberOption } from '../options.ts';
import { progressBar } from '../output.ts';

/** Whisper small, as in the seed; the ONNX export Transformers.js loads. */
export const DEFAULT_TRANSCRIPTION_MODEL = 'onnx-community/whisper-small';

interface TranscribeCommandOptions {
  model: string;
  language: string;
  task: 'transcribe' | 'translate';
  format: TranscriptFormat;
  maxSeconds: number;
  prompt?: string;
  dtype?: string;
  json?: boolean;
}

function choice<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
  };
}

export function registerTranscribeCommand(program: Command): void {
  program
    .command('transcribe')
    .description('Transcribe (or translate to English) speech in any audio format and of any length.')
    .argument('<audio>', 'audio file: WAV, MP3, Ogg, Opus, FLAC, WebM, M4A')
    .option('--model <id|dir>', 'Whisper model: Hub id or local folder', DEFAULT_TRANSCRIPTION_MODEL)
    .option('--language <code>', 'spoken language (ISO 639-1 code) or auto to detect it', 'zh')
    .option(
      '--task <task>',
      'transcribe, or translate into English',
      choice('--task', ['transcribe', 'translate']),
      'transcribe',
    )
    .option(
      '--format <format>',
      `output: ${TRANSCRIPT_FORMATS.join(', ')}`,
      choice('--format', TRANSCRIPT_FORMATS),
      'json',
    )
    .option('--max-seconds <n>', 'refuse longer audio', numberOption('--max-seconds', { min: 1 }), DEFAULT_MAX_SECONDS)
    .option('--prompt <text>', 'text that guides spelling and names')
    .option('--dtype <dtype>', 'ONNX weights to use: fp32, fp16, q8, q4, …')
    .option('--json', 'print verbose_json (same as --format verbose_json)')
    .action(async (audio: string, options: TranscribeCommandOptions) => {
      // Bad audio is reported before a model is loaded.
      const samples = await loadSpeech(audio, { maxSeconds: options.maxSeconds });
      const dtype = options.dtype === undefined ? undefined : parseDtypeChoice(options.dtype);
      const folder = await resolveModelFolder(options.model, { dtype });
      // Transformers.js loads only when a model is needed.
      const { OnnxTranscriptionModel } = await import('../../models/providers/onnx/transcription-model.ts');
      const model = await OnnxTranscriptionModel.load(folder, {
        id: options.model,
        ...(dtype !== undefined && dtype !== 'all' ? { dtype: dtype as string | Record<string, string> } : {}),
      });
      const format = options.json ? 'verbose_json' : options.format;
      let bar: ReturnType<typeof progressBar> | undefined;
      try {
        const result = await transcribe({
          audio: samples,
          name: audio,
          model,
          language: options.language,
          task: options.task,
          maxSeconds: options.maxSeconds,
          ...(options.prompt ? { prompt: options.prompt } : {}),
          onProgress: (done, total) => {
            bar ??= progressBar('transcribe', total, { json: format.endsWith('json') });
            bar.update(done);
          },
        });
        bar?.finish();
        process.stdout.write(formatTranscript(result, format));
      } finally {
        bar?.finish();
        await model.dispose();
      }
    });
}
