/**
 * `mmkit demo`: the preprocessing layer end to end on sample data it makes itself (no download):
 * CLIP token ids for an English and a Chinese caption, a CLIP image batch from a generated picture,
 * and log-mel features of speech spoken by the offline voice.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { writeClipTokenizer } from '../../../testkit/clip-tokenizer.ts';
import { encodeWav } from '../../media/wav.ts';
import { EspeakSpeechModel } from '../../models/providers/espeak/espeak-speech-model.ts';
import { preprocessAudio } from '../../preprocess/audio/preprocess-audio.ts';
import { preprocessImages } from '../../preprocess/image/preprocess.ts';
import { loadTextTokenizer } from '../../preprocess/text/tokenize.ts';
import { printJson } from '../output.ts';

const CAPTIONS = ['a photo of a dog running on the grass', '一只在草地上奔跑的小狗'];
const SPOKEN = '你好, this is the mmkit demo.';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run the preprocessing layer on sample data it makes itself (text, image, speech).')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const folder = await mkdtemp(join(tmpdir(), 'mmkit-demo-'));
      try {
        const summary = await runDemo(folder);
        if (options.json) printJson(summary);
        else printSummary(summary);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
}

interface DemoSummary {
  text: { captions: string[]; shape: number[]; tokens: number[]; firstIds: number[] };
  image: { shape: number[]; meanPerChannel: number[] };
  audio: { spoken: string; seconds: number; shape: number[]; frames: number; maxDb: number; minDb: number };
}

async function runDemo(folder: string): Promise<DemoSummary> {
  const tokenizerFolder = join(folder, 'tokenizer');
  await writeClipTokenizer(tokenizerFolder);
  const tokenizer = await loadTextTokenizer(tokenizerFolder);
  const tokenized = tokenizer.tokenize(CAPTIONS);
  const length = tokenized.shape[1];
  const tokens = CAPTIONS.map((_, row) =>
    Array.from(tokenized.attentionMask.subarray(row * length, (row + 1) * length)).reduce(
      (sum, bit) => sum + Number(bit),
      0,
    ),
  );

  // A 640×480 picture: a sky gradient over a green field, with a red sun.
  const width = 640;
  const height = 480;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1e4fa0"/><stop offset="1" stop-color="#9fc7ee"/></linearGradient></defs>
    <rect width="${width}" height="${height * 0.65}" fill="url(#sky)"/>
    <rect y="${height * 0.65}" width="${width}" height="${height * 0.35}" fill="#3c8a3a"/>
    <circle cx="480" cy="110" r="60" fill="#e0302a"/></svg>`;
  const imagePath = join(folder, 'picture.jpg');
  await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toFile(imagePath);
  const images = await preprocessImages([imagePath]);
  const plane = images.shape[2] * images.shape[3];
  const meanPerChannel = [0, 1, 2].map((channel) => {
    let sum = 0;
    for (let i = channel * plane; i < (channel + 1) * plane; i++) sum += images.data[i];
    return round(sum / plane);
  });

  const speech = await new EspeakSpeechModel().synthesize({ text: SPOKEN });
  const audioPath = join(folder, 'speech.wav');
  await writeFile(audioPath, encodeWav(speech.samples, speech.sampleRate));
  const audio = await preprocessAudio([audioPath]);
  let maxDb = Number.NEGATIVE_INFINITY;
  let minDb = Number.POSITIVE_INFINITY;
  for (const value of audio.data) {
    maxDb = Math.max(maxDb, value);
    minDb = Math.min(minDb, value);
  }

  return {
    text: {
      captions: CAPTIONS,
      shape: [...tokenized.shape],
      tokens,
      firstIds: Array.from(tokenized.inputIds.subarray(0, 8), Number),
    },
    image: { shape: [...images.shape], meanPerChannel },
    audio: {
      spoken: SPOKEN,
      seconds: round(speech.samples.length / speech.sampleRate),
      shape: [...audio.shape],
      frames: audio.items[0]?.frames ?? 0,
      maxDb: round(maxDb),
      minDb: round(minDb),
    },
  };
}

function printSummary(summary: DemoSummary): void {
  const lines = [
    'mmkit demo: the preprocessing layer on sample data made just now',
    '',
    `text   CLIP ids ${JSON.stringify(summary.text.shape)} int64 for ${summary.text.captions.map((c) => `"${c}"`).join(' and ')}`,
    `       tokens used (with start/end): ${summary.text.tokens.join(', ')}; first ids ${summary.text.firstIds.join(' ')}`,
    `image  CLIP pixels ${JSON.stringify(summary.image.shape)} float32 (640×480 JPEG → shortest side 224, centre crop, normalised)`,
    `       mean per channel (R, G, B): ${summary.image.meanPerChannel.join(', ')}`,
    `audio  "${summary.audio.spoken}" spoken offline (${summary.audio.seconds} s) → log-mel ${JSON.stringify(summary.audio.shape)} float32`,
    `       ${summary.audio.frames} frames of speech after trimming, padded with silence; ${summary.audio.minDb} … ${summary.audio.maxDb} dB`,
    '',
    'Try: npx mmkit preprocess text "a photo of a cat" --json, npx mmkit testkit build llm ./tiny-llm',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
