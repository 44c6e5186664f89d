/**
 * `mmkit assistant (--audio FILE | --text TEXT)`: the seed's voice assistant. Prints what was heard,
 * the answer (streamed on a terminal) and the WAV it was spoken into; `--json` prints the result.
 */
import type { Command } from 'commander';
import { MmkitError } from '../../errors.ts';
import type { TranscriptionModel } from '../../models/spec/index.ts';
import { type AssistantResult, assistant, DEFAULT_ASSISTANT_OUT_DIR } from '../../tasks/assistant/assistant.ts';
import { DEFAULT_MAX_AUDIO_SECONDS } from '../../tasks/assistant/listen.ts';
import { openRegistry, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson, thinkingEcho } from '../output.ts';
import { roundTimings } from './chat.ts';

interface AssistantCommandOptions {
  audio?: string;
  text?: string;
  out?: string;
  outDir?: string;
  chatModel?: string;
  transcriptionModel?: string;
  speechModel?: string;
  language: string;
  voice?: string;
  speed?: number;
  maxAudioSeconds: number;
  config?: string;
  json?: boolean;
}

export function registerAssistantCommand(program: Command): void {
  program
    .command('assistant')
    .description('Voice assistant: a spoken (--audio) or written (--text) question in, a spoken answer out.')
    .option('--audio <file>', 'the question as audio (WAV, MP3, FLAC, Ogg, WebM, M4A)')
    .option('--text <text>', 'the question as text')
    .option('--out <file.wav>', 'write the answer audio to exactly this file')
    .option('--out-dir <dir>', 'folder for the answer audio, under a timestamped name', DEFAULT_ASSISTANT_OUT_DIR)
    .option('--chat-model <id>', 'answering model (default from the config, else the built-in one)')
    .option('--transcription-model <id>', 'speech recognition model, for --audio')
    .option('--speech-model <id>', 'voice (default espeak:cmn, offline)')
    .option('--language <code>', 'language of the spoken question, or auto', 'zh')
    .option('--voice <name>', "one of the speech model's voices")
    .option('--speed <factor>', '1 is normal speed', numberOption('--speed', { min: 0.1, max: 10 }))
    .option(
      '--max-audio-seconds <seconds>',
      'refuse longer spoken questions',
      numberOption('--max-audio-seconds', { min: 0.1 }),
      DEFAULT_MAX_AUDIO_SECONDS,
    )
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--json', 'print the result as JSON')
    .action(async (options: AssistantCommandOptions, command: Command) => {
      if ((options.audio === undefined) === (options.text === undefined)) {
        throw new MmkitError('assistant: give --audio FILE or --text TEXT (one of them)', {
          code: 'input_invalid',
          param: 'input',
        });
      }
      if (options.out !== undefined && command.getOptionValueSource('outDir') === 'cli') {
        throw new MmkitError('assistant: give --out or --out-dir, not both', { code: 'output_invalid', param: 'out' });
      }
      const registry = await openRegistry(options);
      const models: unknown[] = [];
      try {
        let transcriber: TranscriptionModel | undefined;
        if (options.audio !== undefined) {
          transcriber = await registry.load('transcription', options.transcriptionModel);
          models.push(transcriber);
        }
        const chatModel = await registry.load('chat', options.chatModel);
        models.push(chatModel);
        const speechModel = await registry.load('speech', options.speechModel);
        models.push(speechModel);

        const streaming = !options.json && process.stdout.isTTY === true;
        let answerStarted = false;
        const thinking = thinkingEcho({ json: !streaming });
        const result = await assistant(
          options.audio !== undefined ? { audio: options.audio } : { text: options.text as string },
          {
            chatModel,
            speechModel,
            ...(transcriber === undefined ? {} : { transcriber }),
            ...(options.out === undefined ? { outDir: options.outDir } : { outFile: options.out }),
            language: options.language,
            maxAudioSeconds: options.maxAudioSeconds,
            ...(options.voice === undefined ? {} : { voice: options.voice }),
            ...(options.speed === undefined ? {} : { speed: options.speed }),
            onEvent: (event) => {
              if (!streaming) return;
              if (event.type === 'transcript') process.stdout.write(`transcript: ${event.text}\n`);
              if (event.type === 'reasoning-delta') thinking.write(event.text);
              if (event.type === 'text-delta') {
                thinking.end();
                if (!answerStarted) process.stdout.write('answer: ');
                answerStarted = true;
                process.stdout.write(event.text);
              }
            },
          },
        );
        thinking.end();
        if (options.json) printJson(jsonReport(result));
        else if (streaming) process.stdout.write(`\naudio: ${result.audioPath}\n`);
        else printText(result);
      } finally {
        await releaseModels(models);
      }
    });
}

function printText(result: AssistantResult): void {
  if (result.transcript !== undefined) process.stdout.write(`transcript: ${result.transcript}\n`);
  process.stdout.write(`answer: ${result.answer}\naudio: ${result.audioPath}\n`);
}

export function jsonReport(result: AssistantResult): object {
  return {
    inputType: result.inputType,
    ...(result.transcript === undefined ? {} : { transcript: result.transcript }),
    answer: result.answer,
    ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
    audioPath: result.audioPath,
    sampleRate: result.sampleRate,
    audioSeconds: Math.round(result.audioSeconds * 1000) / 1000,
    chunks: result.chunks,
    timings: roundTimings(result.timings),
  };
}
