import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeCtcSpeech } from '../../../testkit/ctc-speech.ts';
import { encodeWav } from '../../media/wav.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit align', () => {
  let root: string;
  let modelDirectory: string;
  let speechFile: string;
  const speech = synthesizeCtcSpeech('hello world', { gapFrames: 1 });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-align-cli-'));
    modelDirectory = join(root, 'wav2vec2');
    const built = await runCli(['testkit', 'build', 'wav2vec2-ctc', modelDirectory]);
    expect(built.code).toBe(0);
    speechFile = join(root, 'hello.wav');
    await writeFile(speechFile, encodeWav(speech.audio, 16000));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints the words as written with their times as JSON', async () => {
    const result = await runCli(['align', speechFile, 'Hello, World!', '--model', modelDirectory, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.transcript).toBe('Hello, World!');
    expect(report.normalizedTranscript).toBe('HELLO WORLD');
    expect(
      report.words.map((word: { word: string; start: number; end: number }) => [word.word, word.start, word.end]),
    ).toEqual([
      ['Hello,', speech.words[0].startSeconds, speech.words[0].endSeconds],
      ['World!', speech.words[1].startSeconds, Number(speech.words[1].endSeconds.toFixed(6))],
    ]);
    expect(report.words.every((word: { score: number }) => word.score > 0.9)).toBe(true);
    expect(report.characters.map((character: { token: string }) => character.token).join('')).toBe('HELLOWORLD');
    expect(report.characters[0]).toEqual({ text: 'H', token: 'H', start: 0.06, end: 0.1, score: expect.any(Number) });
    expect(report.score).toBeGreaterThan(0.9);
    expect(report.model).toBe(modelDirectory);
    expect(report.warnings).toEqual([]);
  });

  it('prints a readable table, with warnings on stderr', async () => {
    const result = await runCli(['align', speechFile, 'hello 99 world', '--model', modelDirectory]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['WORD', 'START', 'END', 'SCORE']);
    const helloEnd = speech.words[0].endSeconds.toFixed(3);
    expect(lines[1].split(/\s+/).slice(0, 3)).toEqual(['hello', '0.060', helloEnd]);
    expect(lines[2].split(/\s+/)).toEqual(['99', helloEnd, helloEnd, '0.00']);
    expect(lines[3].split(/\s+/).slice(0, 3)).toEqual([
      'world',
      speech.words[1].startSeconds.toFixed(3),
      speech.words[1].endSeconds.toFixed(3),
    ]);
    expect(lines[4]).toMatch(/^score (0\.9\d|1\.00) over 0\.77 s \(38 frames\), model /);
    expect(result.stderr).toBe(
      `mmkit: warning: "9" is not in the model's vocabulary: skipped in "99"\nmmkit: warning: "99" has nothing to align: given a zero-length span\n`,
    );
  });

  it('fails with one line on silent or too short audio, unalignable text and missing models', async () => {
    const silent = join(root, 'silent.wav');
    await writeFile(silent, encodeWav(new Float32Array(16000), 16000));
    const quiet = await runCli(['align', silent, 'hello', '--model', modelDirectory, '--json']);
    expect(quiet).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `mmkit: ${silent}: audio is silent: nothing to align\n`,
    });

    const tooShort = await runCli([
      'align',
      speechFile,
      'hello world and many more words than it can hold',
      '--model',
      modelDirectory,
    ]);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(
      /^mmkit: .*hello\.wav: audio too short for the transcript: .* needs at least \d+ \(.* s\)\n$/,
    );

    const chinese = await runCli(['align', speechFile, '你好', '--model', modelDirectory]);
    expect(chinese.stderr).toBe(`mmkit: the transcript "你好" has no characters the model's vocabulary can spell\n`);

    const missing = await runCli(['align', speechFile, 'hello', '--model', join(root, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mmkit: model folder .*nope does not exist/);

    const offline = await runCli(['align', speechFile, 'hello'], { env: { MMKIT_OFFLINE: '1', MMKIT_HOME: root } });
    expect(offline.stderr).toMatch(
      /^mmkit: Xenova\/wav2vec2-base-960h is not in the model cache \(MMKIT_OFFLINE=1 is set\)/,
    );

    const badDtype = await runCli(['align', speechFile, 'hello', '--dtype', 'fp64']);
    expect(badDtype.code).toBe(2);
    expect(badDtype.stderr).toContain('--dtype must be one of');
  });
});
