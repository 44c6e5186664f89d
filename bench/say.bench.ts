/**
 * Time to first audio of `/v1/audio/speech` on a long text: spoken sentence by sentence, the first
 * sentence is ready (and sent) while the rest is still being synthesized; the anchor is the whole
 * text synthesized at once, which is what a client waited for before. Same text, one after the
 * other in one process, with two voices: the offline espeak-ng one (a fixed cost per call) and the
 * testkit's VITS (ONNX, work in proportion to the text, as neural voices are).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspeakSpeechModel } from '../src/models/providers/espeak/espeak-speech-model.ts';
import { OnnxSpeechModel } from '../src/models/providers/onnx/speech-model.ts';
import type { SpeechModel } from '../src/models/spec/index.ts';
import { speakSentences } from '../src/tasks/say/index.ts';
import { buildTinyModel } from '../testkit/build.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const TEXT = Array.from(
  { length: 10 },
  (_, index) => `This is sentence number ${index + 1} of a long answer, read aloud for the listener.`,
).join(' ');

async function row(model: SpeechModel, voice: string): Promise<BenchmarkRow> {
  const firstSentence = () => speakSentences({ model, text: TEXT }).next();
  const whole = () => model.synthesize({ text: TEXT });
  const ours = await medianMs(firstSentence, { warmup: 2, runs: 7 });
  const anchor = await medianMs(whole, { warmup: 1, runs: 7 });
  return {
    name: `time to first audio, 10 sentences (${TEXT.length} characters), ${voice}`,
    ours,
    anchor,
    unit: 'ms',
    anchorName: 'the whole text synthesized first',
    better: 'lower',
  };
}

export async function run(): Promise<BenchmarkRow[]> {
  const folder = await mkdtemp(join(tmpdir(), 'mmkit-say-bench-'));
  try {
    await buildTinyModel('vits', folder);
    const vits = await OnnxSpeechModel.load(folder);
    const rows = [await row(new EspeakSpeechModel(), 'espeak-ng'), await row(vits, 'tiny VITS (testkit)')];
    await vits.dispose?.();
    return rows;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('say', await run());
}
