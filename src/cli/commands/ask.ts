/**
 * `mmkit ask IMAGE QUESTION`: visual question answering. The answer streams to a terminal as it is
 * generated and is printed whole otherwise; `--json` prints `{question, answer, model, ocr?, usage,
 * timings}`. The image and the question are checked before any model is loaded, so bad input fails
 * fast with one line and nothing else happens.
 */
import { type Command, Option } from 'commander';
import type { ChatModel, TextRecognitionModel } from '../../models/spec/index.ts';
import { loadVqaImage } from '../../tasks/vqa/image-input.ts';
import { OCR_MODES, type OcrMode } from '../../tasks/vqa/ocr-grounding.ts';
import { requireQuestion, resolveSampling, VQA_DEFAULTS } from '../../tasks/vqa/settings.ts';
import { type VqaResult, vqaStream } from '../../tasks/vqa/vqa.ts';
import { adapterFolder, openRegistry, releaseModels } from '../model-loading.ts';
import { numberOption } from '../options.ts';
import { printJson, thinkingEcho } from '../output.ts';

interface AskCommandOptions {
  model?: string;
  maxNewTokens: number;
  temperature: number;
  topP: number;
  seed?: number;
  ocr: OcrMode;
  config?: string;
  json?: boolean;
  adapter?: string;
}

export function registerAskCommand(program: Command): void {
  program
    .command('ask')
    .description('Visual question answering: answer QUESTION about IMAGE (path or http(s) URL).')
    .argument('<image>', 'image file or URL (JPEG, PNG, WebP, GIF)')
    .argument('<question>', 'the question, in English or Chinese')
    .option('--model <id|dir>', 'vision-language model: Hub id, local folder, openai:MODEL@URL or a config name')
    .option(
      '--max-new-tokens <n>',
      'longest answer, in tokens',
      numberOption('--max-new-tokens', { integer: true, min: 1 }),
      VQA_DEFAULTS.maxNewTokens,
    )
    .option(
      '--temperature <t>',
      'sampling temperature; 0 is greedy',
      numberOption('--temperature', { min: 0 }),
      VQA_DEFAULTS.temperature,
    )
    .option('--top-p <p>', 'nucleus sampling mass', numberOption('--top-p', { min: 0, max: 1 }), VQA_DEFAULTS.topP)
    .option('--seed <s>', 'seed for reproducible sampling', numberOption('--seed', { integer: true, min: 0 }))
    .addOption(
      new Option('--ocr <mode>', 'read the text in the image and give it to the model')
        .choices(OCR_MODES)
        .default('auto'),
    )
    .option('--adapter <dir>', 'LoRA adapter folder (PEFT format) applied to the model at load')
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--json', 'print the result as JSON')
    .action(async (imageInput: string, questionInput: string, options: AskCommandOptions) => {
      // Cheap checks first: nothing is loaded for a bad image, question or setting.
      const question = requireQuestion(questionInput);
      const sampling = resolveSampling(options);
      const imageStart = performance.now();
      const image = await loadVqaImage(imageInput);
      const imageMs = performance.now() - imageStart;
      const adapter = adapterFolder(options.adapter);
      const registry = await openRegistry(options);
      const loaded: { model?: ChatModel; ocr?: Promise<TextRecognitionModel> } = {};
      try {
        const loadStart = performance.now();
        loaded.model = await registry.load('visionChat', options.model, { options: { adapter } });
        const loadMs = performance.now() - loadStart;
        const loadOcr = () => {
          loaded.ocr ??= registry.load('ocr');
          return loaded.ocr;
        };
        const parts = vqaStream({
          image,
          question,
          model: loaded.model,
          ocr: loadOcr,
          ocrMode: options.ocr,
          ...sampling,
        });
        const streaming = !options.json && process.stdout.isTTY === true;
        let result: VqaResult | undefined;
        const thinking = thinkingEcho({ json: !streaming });
        for await (const part of parts) {
          if (part.type === 'reasoning-delta') thinking.write(part.text);
          if (part.type === 'text-delta' && streaming) {
            thinking.end();
            process.stdout.write(part.text);
          }
          if (part.type === 'finish') result = part.result;
        }
        thinking.end();
        if (!result) return;
        if (options.json) printJson(jsonReport(result, { imageMs, loadMs }));
        else process.stdout.write(streaming ? '\n' : `${result.answer}\n`);
        if (!options.json && process.stderr.isTTY && result.ocr?.used) {
          const confidence = Math.round(result.ocr.confidence * 100);
          process.stderr.write(
            `(grounded in ${Array.from(result.ocr.text).length} characters of OCR text, ${confidence}% confidence)\n`,
          );
        }
      } finally {
        await releaseModels([loaded.model, await loaded.ocr?.catch(() => undefined)]);
      }
    });
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The result as JSON; the image was checked (`imageMs`) and the model loaded (`loadMs`) before the task ran. */
export function jsonReport(result: VqaResult, before: { imageMs: number; loadMs: number }): object {
  const { timings } = result;
  return {
    question: result.question,
    answer: result.answer,
    ...(result.reasoning === undefined ? {} : { reasoning: result.reasoning }),
    model: result.model,
    ...(result.ocr ? { ocr: result.ocr } : {}),
    usage: result.usage,
    timings: {
      totalMs: round(before.imageMs + timings.totalMs),
      loadMs: round(before.loadMs),
      imageMs: round(before.imageMs + timings.imageMs),
      ocrMs: round(timings.ocrMs),
      ...(timings.firstTokenMs === undefined ? {} : { firstTokenMs: round(timings.firstTokenMs) }),
      generationMs: round(timings.generationMs),
    },
  };
}
