/** `mmkit transcribe AUDIO`: speech to text in OpenAI's output formats (the seed's ASR step). */
import { type Command, InvalidArgumentError } from 'commander';
import { formatTranscript, TRANSCRIPT_FORMATS, type TranscriptFormat } from '../../tasks/transcribe/formats.ts';
import { DEFAULT_MAX_SECONDS, loadSpeech, transcribe } from '../../tasks/transcribe/transcribe.ts';
import { loadCliModel, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { progressBar } from '../output.ts';

interface TranscribeCommandOptions {
  model?: string;
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
    .option('--model <id|dir>', 'Whisper model: Hub id, local folder or provider id (default: Whisper small, q8)')
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
      const format = options.json ? 'verbose_json' : options.format;
      const model = await loadCliModel(
        'transcription',
        { ...options, json: format.endsWith('json') },
        { dtype: options.dtype },
      );
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
        await releaseModels([model]);
      }
    });
}
