import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeWhisperSpeech, whisperSpeechSegments } from '../../../testkit/whisper-speech.ts';
import type { WhisperWord } from '../../../testkit/whisper-vocabulary.ts';
import { synthesizeWhisperWordGroups } from '../../../testkit/whisper-word-groups.ts';
import { encodeWav } from '../../media/wav.ts';
import { ffmpegPath } from '../../preprocess/audio/ffmpeg.ts';
import { runCli } from '../test-support/run-cli.ts';

const run = promisify(execFile);
const spoken: WhisperWord[] = ['four', 'one', 'six'];
const timing = { leadSeconds: 1.25, wordSeconds: 0.7, gapSeconds: 0.9 };

/** Cue times and texts from an SRT or WebVTT document. */
function readCues(document: string) {
  return [...document.matchAll(/(\d\d):(\d\d):(\d\d)[,.](\d{3}) --> (\d\d):(\d\d):(\d\d)[,.](\d{3})\n(.+)\n/g)].map(
    (match) => {
      const seconds = (offset: number) =>
        Number(match[offset]) * 3600 +
        Number(match[offset + 1]) * 60 +
        Number(match[offset + 2]) +
        Number(match[offset + 3]) / 1000;
      return { start: seconds(1), end: seconds(5), text: match[9] };
    },
  );
}

describe('mmkit transcribe (testkit whisper)', () => {
  let root: string;
  let model: string;
  let wav: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-transcribe-cli-'));
    model = join(root, 'whisper');
    const built = await runCli(['testkit', 'build', 'whisper', model]);
    expect(built.code).toBe(0);
    wav = join(root, 'speech.wav');
    await writeFile(wav, encodeWav(synthesizeWhisperSpeech(spoken, timing), 16000));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints {text} in Chinese by default and plain English text on request', async () => {
    const chinese = await runCli(['transcribe', wav, '--model', model]);
    expect(chinese.stderr).toBe('');
    expect(chinese.code).toBe(0);
    expect(JSON.parse(chinese.stdout)).toEqual({ text: '四一六' });
    const english = await runCli(['transcribe', wav, '--model', model, '--language', 'en', '--format', 'text']);
    expect(english.stdout).toBe('four one six\n');
  });

  it('reads MP3 and WebM/Opus as well, with SRT and WebVTT cues at the words', async () => {
    const mp3 = join(root, 'speech.mp3');
    const webm = join(root, 'speech.webm');
    await run(ffmpegPath(), ['-v', 'error', '-i', wav, '-codec:a', 'libmp3lame', '-b:a', '64k', mp3]);
    await run(ffmpegPath(), ['-v', 'error', '-i', wav, '-codec:a', 'libopus', '-b:a', '48k', webm]);
    const expected = whisperSpeechSegments(spoken, timing);
    const srt = await runCli(['transcribe', mp3, '--model', model, '--format', 'srt', '--language', 'en']);
    expect(srt.code).toBe(0);
    expect(srt.stdout).toMatch(/^1\n00:00:01,2\d\d --> 00:00:01,9\d\d\nfour\n\n2\n/);
    const vtt = await runCli(['transcribe', webm, '--model', model, '--format', 'vtt']);
    expect(vtt.code).toBe(0);
    expect(vtt.stdout.startsWith('WEBVTT\n\n00:00:01.')).toBe(true);
    for (const [document, words] of [
      [srt.stdout, ['four', 'one', 'six']],
      [vtt.stdout, ['四', '一', '六']],
    ] as const) {
      const cues = readCues(document);
      expect(cues.map((cue) => cue.text)).toEqual(words);
      cues.forEach((cue, index) => {
        // Lossy codecs shift onsets a little (encoder delay, pre-echo).
        expect(Math.abs(cue.start - expected[index].start)).toBeLessThan(0.1);
        expect(Math.abs(cue.end - expected[index].end)).toBeLessThan(0.1);
      });
    }
  });

  it('prints verbose_json with --json, translating on request', async () => {
    const result = await runCli(['transcribe', wav, '--model', model, '--task', 'translate', '--json']);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ task: 'translate', language: 'chinese', text: 'four one six' });
    expect(document.duration).toBeCloseTo(1.25 + 3 * 0.7 + 2 * 0.9, 3);
    expect(document.segments.map((segment: { id: number; text: string }) => [segment.id, segment.text])).toEqual([
      [0, 'four'],
      [1, 'one'],
      [2, 'six'],
    ]);
  });

  it('transcribes 70 s of word groups (three windows) without repeating or losing a word', async () => {
    const { samples, words } = synthesizeWhisperWordGroups(70);
    const long = join(root, 'long.wav');
    await writeFile(long, encodeWav(samples, 16000));
    const result = await runCli(['transcribe', long, '--model', model, '--language', 'en', '--format', 'text']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${words.join(' ')}\n`);
  });

  it('fails in one line on missing, unsupported and too long audio and bad options', async () => {
    const text = join(root, 'notes.txt');
    await writeFile(text, 'not audio at all, just words');
    const cases: [string[], RegExp][] = [
      [['transcribe', join(root, 'none.wav'), '--model', model], /^mmkit: .*none\.wav: no such file\n$/],
      [
        ['transcribe', text, '--model', model],
        /^mmkit: .*notes\.txt: not a recognised audio format \(supported: .*\)\n$/,
      ],
      [
        ['transcribe', wav, '--model', model, '--max-seconds', '2'],
        /^mmkit: .*speech\.wav: audio is 5\.2 s long, over the limit of 2 s\n$/,
      ],
      [
        ['transcribe', wav, '--model', model, '--language', 'xx'],
        /^mmkit: language "xx" is not one .* knows; use auto or a code such as en, zh/,
      ],
      [
        ['transcribe', wav, '--format', 'docx'],
        /^mmkit: .*--format must be one of json, text, srt, vtt, verbose_json, got 'docx'\n$/,
      ],
      [['transcribe', wav, '--model', join(root, 'no-model')], /^mmkit: model folder .*no-model does not exist/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.code).not.toBe(0);
    }
  });

  it('prints an empty transcript for digital silence, as OpenAI does (no words made up)', async () => {
    const silent = join(root, 'silent.wav');
    await writeFile(silent, encodeWav(new Float32Array(16000), 16000));
    const result = await runCli(['transcribe', silent, '--model', model]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ text: '' });
  });
});
