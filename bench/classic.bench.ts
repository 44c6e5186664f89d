/**
 * The offline classic engines. TTS: real-time factor (audio seconds per compute second) of the
 * espeak-ng WASM voice against Debian's native `espeak-ng` command on the same text (process start
 * included, as each of our calls includes an instance start). OCR: time per image of our
 * `recognize` (image check, PNG normalisation, warm worker) against a bare tesseract.js
 * `worker.recognize` on the same worker data; and the `--ocr auto` text-density test against one OCR
 * pass. Without Debian espeak-ng the TTS row is printed, not compared.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createWorker } from 'tesseract.js';
import { EspeakSpeechModel } from '../src/models/providers/espeak/espeak-speech-model.ts';
import { languageFolder } from '../src/models/providers/tesseract/language-data.ts';
import { TesseractTextRecognitionModel } from '../src/models/providers/tesseract/tesseract-text-recognition-model.ts';
import { renderTextPng } from '../src/models/providers/tesseract/test-support/render-text.ts';
import { decodeWav } from '../src/preprocess/audio/wav.ts';
import { textDensity } from '../src/preprocess/image/text-density.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const ENGLISH =
  'The voice assistant answers in short sentences. It speaks English and Mandarin without any download, ' +
  'and it keeps working when the network is down. This paragraph is long enough to measure a real-time factor.';
const MIXED = '今天天气很好, let us go to the park. 我们下午三点在门口见面, and bring some water. 好的，没问题。';

async function speechRows(): Promise<BenchmarkRow[]> {
  const model = new EspeakSpeechModel();
  const rows: BenchmarkRow[] = [];
  for (const [label, text, voice] of [
    ['English paragraph, en-us', ENGLISH, 'en-us'],
    ['mixed Chinese/English, automatic runs', MIXED, undefined],
  ] as const) {
    let audioSeconds = 0;
    const ms = await medianMs(
      async () => {
        const result = await model.synthesize({ text, voice });
        audioSeconds = result.samples.length / result.sampleRate;
      },
      { warmup: 1, runs: 5 },
    );
    const ours = audioSeconds / (ms / 1000);
    const anchor = nativeEspeak(text, voice ?? 'cmn');
    if (anchor === undefined) {
      process.stdout.write(`classic: TTS ${label}: ${ours.toFixed(1)}× real time (Debian espeak-ng not found)\n`);
      continue;
    }
    rows.push({
      name: `TTS real-time factor, ${label} (${audioSeconds.toFixed(1)} s audio)`,
      ours,
      anchor,
      unit: '× real time',
      anchorName: `Debian espeak-ng CLI -v ${voice ?? 'cmn'} (native, process start included)`,
      better: 'higher',
    });
  }
  return rows;
}

/** Real-time factor of the native command, or undefined where it is not installed. */
function nativeEspeak(text: string, voice: string): number | undefined {
  const directory = mkdtempSync(join(tmpdir(), 'mmkit-bench-espeak-'));
  try {
    const output = join(directory, 'out.wav');
    const run = () => execFileSync('espeak-ng', ['-v', voice, '-w', output, text], { stdio: 'ignore' });
    try {
      run();
    } catch {
      return undefined;
    }
    const times: number[] = [];
    for (let index = 0; index < 5; index++) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const audio = decodeWav(readFileSync(output), output)!;
    return audio.samples.length / audio.sampleRate / (times[2] / 1000);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function ocrRows(): Promise<BenchmarkRow[]> {
  const english = await renderTextPng('The quick brown fox jumps over the lazy dog\nPixel 8 Pro, Android 14');
  const chinese = await renderTextPng('今天天气很好\n手机型号和系统版本');
  const screen = await sharp({ create: { width: 1080, height: 1920, channels: 3, background: '#fafafa' } })
    .composite([{ input: english, top: 200, left: 40 }])
    .png()
    .toBuffer();
  const model = new TesseractTextRecognitionModel({ languages: ['eng', 'chi_sim'] });
  const folder = await languageFolder(['eng', 'chi_sim']);
  const coldStart = performance.now();
  const bare = await createWorker('eng+chi_sim', 1, { langPath: folder.path, cacheMethod: 'none' });
  await bare.setParameters({ user_defined_dpi: '70' });
  process.stdout.write(
    `classic: tesseract.js worker start (eng+chi_sim): ${(performance.now() - coldStart).toFixed(0)} ms\n`,
  );
  try {
    const rows: BenchmarkRow[] = [];
    for (const [label, image] of [
      ['English 2 lines', english],
      ['Chinese 2 lines', chinese],
      ['1080×1920 screenshot', screen],
    ] as const) {
      const ours = await medianMs(() => model.recognize(image), { warmup: 1, runs: 5 });
      const anchor = await medianMs(() => bare.recognize(image, {}, { text: true, blocks: true }), {
        warmup: 1,
        runs: 5,
      });
      rows.push({
        name: `OCR per image, ${label}`,
        ours,
        anchor,
        unit: 'ms',
        anchorName: 'bare tesseract.js worker.recognize',
        better: 'lower',
      });
    }
    const density = await medianMs(() => textDensity(screen), { runs: 9 });
    const ocrPass = await medianMs(() => model.recognize(screen), { warmup: 0, runs: 3 });
    rows.push({
      name: 'text-density test (--ocr auto) vs one OCR pass, 1080×1920 screenshot',
      ours: density,
      anchor: ocrPass,
      unit: 'ms',
      anchorName: 'TesseractTextRecognitionModel.recognize',
      better: 'lower',
    });
    return rows;
  } finally {
    await bare.terminate();
    await folder.remove();
    await model.dispose();
  }
}

export async function run(): Promise<BenchmarkRow[]> {
  return [...(await speechRows()), ...(await ocrRows())];
}
