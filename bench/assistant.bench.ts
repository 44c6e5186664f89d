/**
 * The pipelined assistant: how soon the first audio is ready to play, against the unpipelined
 * assistant (the seed's order: the whole answer first, then the whole answer spoken), same text,
 * same models (the testkit echo LLM in process, the espeak-ng voice), runs interleaved. Twice: with
 * the echo model at its own speed (far faster than any real LLM), and with its stream paced to 25
 * tokens/s, about what a 0.5B instruct model manages on a laptop CPU, where the overlap matters.
 * Also, within the pipelined run, the first audio against the last token of the answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspeakSpeechModel } from '../src/models/providers/espeak/espeak-speech-model.ts';
import { OnnxChatModel } from '../src/models/providers/onnx/onnx-chat-model.ts';
import type { ChatModel, ChatStreamPart } from '../src/models/spec/index.ts';
import { type AssistantTimings, assistant } from '../src/tasks/assistant/assistant.ts';
import { buildTinyModel } from '../testkit/build.ts';
import type { BenchmarkRow } from './report.ts';

const QUESTION =
  'Tomorrow will be sunny and warm. You could go for a walk in the park. Remember to bring some water. 明天见！';

const delay = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** The same model, its stream slowed to one text piece every `intervalMs`. */
function paced(model: ChatModel, intervalMs: number): ChatModel {
  return {
    description: model.description,
    acceptsImages: model.acceptsImages,
    contextLength: model.contextLength,
    generate: (request) => model.generate(request),
    async *stream(request): AsyncIterable<ChatStreamPart> {
      for await (const part of model.stream(request)) {
        if (part.type === 'text-delta') await delay(intervalMs);
        yield part;
      }
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(chatModel: ChatModel, outDir: string, runs: number) {
  const speechModel = new EspeakSpeechModel();
  const timings: Record<'pipelined' | 'unpipelined', AssistantTimings[]> = { pipelined: [], unpipelined: [] };
  const once = async (pipelined: boolean) => {
    const result = await assistant({ text: QUESTION }, { chatModel, speechModel, outDir, pipelined, temperature: 0 });
    if (result.answer !== QUESTION) throw new Error(`the echo model answered ${JSON.stringify(result.answer)}`);
    return result.timings;
  };
  await once(true);
  await once(false);
  for (let run = 0; run < runs; run++) {
    timings.pipelined.push(await once(true));
    timings.unpipelined.push(await once(false));
  }
  const of = (mode: 'pipelined' | 'unpipelined', key: keyof AssistantTimings) =>
    median(timings[mode].map((entry) => entry[key] ?? Number.NaN));
  return {
    pipelinedFirstAudio: of('pipelined', 'firstAudioMs'),
    unpipelinedFirstAudio: of('unpipelined', 'firstAudioMs'),
    pipelinedAnswer: of('pipelined', 'answerMs'),
    pipelinedTotal: of('pipelined', 'totalMs'),
    unpipelinedTotal: of('unpipelined', 'totalMs'),
  };
}

function rows(label: string, figures: Awaited<ReturnType<typeof measure>>): BenchmarkRow[] {
  return [
    {
      name: `assistant time to first audio, ${label}`,
      ours: figures.pipelinedFirstAudio,
      anchor: figures.unpipelinedFirstAudio,
      unit: 'ms',
      anchorName: 'unpipelined (whole answer, then TTS)',
      better: 'lower',
    },
    {
      name: `assistant first audio vs the answer's last token, ${label}`,
      ours: figures.pipelinedFirstAudio,
      anchor: figures.pipelinedAnswer,
      unit: 'ms',
      anchorName: 'time to the full answer text (same pipelined run)',
      better: 'lower',
    },
    {
      name: `assistant time to the whole WAV, ${label}`,
      ours: figures.pipelinedTotal,
      anchor: figures.unpipelinedTotal,
      unit: 'ms',
      anchorName: 'unpipelined',
      better: 'lower',
    },
  ];
}

export async function run(): Promise<BenchmarkRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'mmkit-bench-assistant-'));
  await buildTinyModel('llm', join(root, 'llm'));
  const echo = await OnnxChatModel.load(join(root, 'llm'), { id: 'onnx:tiny-llm' });
  try {
    const fast = await measure(echo, join(root, 'fast'), 5);
    const slow = await measure(paced(echo, 40), join(root, 'paced'), 3);
    return [...rows('echo LLM at full speed + espeak', fast), ...rows('echo LLM paced to 25 tokens/s + espeak', slow)];
  } finally {
    await echo.dispose();
    rmSync(root, { recursive: true, force: true });
  }
}
