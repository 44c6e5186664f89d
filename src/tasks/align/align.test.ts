import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CTC_WORD_DELIMITER, type CtcSpeechOptions, synthesizeCtcSpeech } from '../../../testkit/ctc-speech.ts';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { wav2vec2CtcFiles } from '../../../testkit/wav2vec2-ctc.ts';
import { isMmkitError } from '../../errors.ts';
import { encodeWav } from '../../media/wav.ts';
import { OnnxCtcModel } from '../../models/providers/onnx/ctc-model.ts';
import { type AlignOptions, align } from './align.ts';

const FRAME = 0.02;

describe('align (testkit wav2vec2-ctc end to end)', () => {
  let directory: string;
  let model: OnnxCtcModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-align-'));
    await writeModelFiles(join(directory, 'model'), wav2vec2CtcFiles());
    model = await OnnxCtcModel.load(join(directory, 'model'), { id: 'tiny-ctc' });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  async function failure(options: Partial<AlignOptions>): Promise<{ code: string; message: string }> {
    try {
      await align({ audio: new Float32Array(0), transcript: 'x', model, ...options });
    } catch (error) {
      if (isMmkitError(error)) return error;
      throw error;
    }
    throw new Error('expected an MmkitError');
  }

  it('times "hello world" to the synthesised spans, and reads back the exact frame path', async () => {
    const speech = synthesizeCtcSpeech('hello world');
    const result = await align({ audio: speech.audio, transcript: 'hello world', model });
    expect(result.words.map((word) => word.word)).toEqual(['hello', 'world']);
    result.words.forEach((word, index) => {
      expect(Math.abs(word.start - speech.words[index].startSeconds)).toBeLessThanOrEqual(FRAME);
      expect(Math.abs(word.end - speech.words[index].endSeconds)).toBeLessThanOrEqual(FRAME);
      expect(word.score).toBeGreaterThan(0.9);
    });
    // The tones are unambiguous, so the best path is exactly the one the audio was written from.
    expect([...result.path]).toEqual(speech.frameLabels);
    expect(result.words).toEqual([
      { word: 'hello', start: 0.06, end: 0.28, score: expect.any(Number) },
      { word: 'world', start: 0.32, end: 0.52, score: expect.any(Number) },
    ]);
    const letters = speech.segments.filter((segment) => segment.token !== CTC_WORD_DELIMITER);
    expect(result.characters.map((character) => [character.token, character.start, character.end])).toEqual(
      letters.map((segment) =>
        [segment.token, segment.startFrame * FRAME, segment.endFrame * FRAME].map((value) =>
          typeof value === 'number' ? Number(value.toFixed(6)) : value,
        ),
      ),
    );
    expect(result.normalizedTranscript).toBe('HELLO WORLD');
    expect(result.secondsPerFrame).toBe(0.02);
    expect(result.model).toBe('tiny-ctc');
    expect(result.score).toBeGreaterThan(0.9);
    expect(result.warnings).toEqual([]);
  });

  it.each<[string, CtcSpeechOptions]>([
    ['committee', { framesPerCharacter: 3 }],
    ["it's a jazz quiz", { gapFrames: 1, edgeFrames: 10 }],
    ['aaa bbb', { framesPerCharacter: 1, repeatGapFrames: 2 }],
    ['x', {}],
  ])('gives every character of "%s" its synthesised frames', async (text, options) => {
    const speech = synthesizeCtcSpeech(text, options);
    const result = await align({ audio: speech.audio, transcript: text, model });
    const letters = speech.segments.filter((segment) => segment.token !== CTC_WORD_DELIMITER);
    expect(result.characters.map((character) => Math.round(character.start / FRAME))).toEqual(
      letters.map((segment) => segment.startFrame),
    );
    expect(result.characters.map((character) => Math.round(character.end / FRAME))).toEqual(
      letters.map((segment) => segment.endFrame),
    );
    expect(result.words.map((word) => [word.start, word.end])).toEqual(
      speech.words.map((word) => [word.startSeconds, word.endSeconds].map((value) => Number(value.toFixed(6)))),
    );
  });

  it('maps times back to the words as written ("Hello, World!"), from a WAV file or its bytes', async () => {
    const speech = synthesizeCtcSpeech('hello world', { gapFrames: 1 });
    const wav = encodeWav(speech.audio, 16000);
    const file = join(directory, 'hello.wav');
    await writeFile(file, wav);
    for (const audio of [file, new Uint8Array(wav)]) {
      const result = await align({ audio, transcript: 'Hello, World!', model });
      expect(result.transcript).toBe('Hello, World!');
      expect(result.words.map((word) => [word.word, word.start, word.end])).toEqual([
        ['Hello,', speech.words[0].startSeconds, speech.words[0].endSeconds],
        ['World!', speech.words[1].startSeconds, Number(speech.words[1].endSeconds.toFixed(6))],
      ]);
      expect(result.characters.map((character) => character.text).join('')).toBe('HelloWorld');
      expect(result.durationSeconds).toBeCloseTo(speech.audio.length / 16000, 6);
    }
  });

  it('gives skipped words a zero-length span between their neighbours, and warns', async () => {
    const speech = synthesizeCtcSpeech('route to');
    const result = await align({ audio: speech.audio, transcript: 'Route 66 to', model });
    expect(result.words.map((word) => word.word)).toEqual(['Route', '66', 'to']);
    expect(result.words[1]).toEqual({ word: '66', start: result.words[0].end, end: result.words[0].end, score: 0 });
    expect(result.words[2].start).toBeCloseTo(speech.words[1].startSeconds, 6);
    expect(result.warnings).toContain(`"66" has nothing to align: given a zero-length span`);
  });

  it('scores the right transcript above a wrong one', async () => {
    const speech = synthesizeCtcSpeech('hello world');
    const right = await align({ audio: speech.audio, transcript: 'hello world', model });
    const wrong = await align({ audio: speech.audio, transcript: 'jelly word', model });
    expect(right.score).toBeGreaterThan(0.9);
    expect(wrong.score).toBeLessThan(right.score - 0.1);
    expect(wrong.logProbability).toBeLessThan(right.logProbability);
  });

  it('fails clearly on empty, silent, too long or too short audio and unalignable transcripts', async () => {
    expect(await failure({ audio: new Float32Array(0) })).toMatchObject({ code: 'audio_empty' });
    expect(await failure({ audio: new Float32Array(16000), name: 'quiet.wav' })).toMatchObject({
      code: 'audio_silent',
      message: 'quiet.wav: audio is silent: nothing to align',
    });
    expect(await failure({ audio: new Float32Array(16000).fill(0.5), maxSeconds: 0.5 })).toMatchObject({
      code: 'audio_too_long',
    });
    const short = synthesizeCtcSpeech('hi', { edgeFrames: 0, framesPerCharacter: 1 });
    expect(await failure({ audio: short.audio, transcript: 'hello world' })).toMatchObject({
      code: 'audio_too_short',
      message: `audio: audio too short for the transcript: 0.04 s gives 2 frames, but "HELLO WORLD" needs at least 12 (0.24 s)`,
    });
    expect(await failure({ audio: Float32Array.from({ length: 300 }, (_, index) => Math.sin(index)) })).toMatchObject({
      code: 'audio_too_short',
    });
    expect(await failure({ audio: short.audio, transcript: '你好 123' })).toMatchObject({ code: 'nothing_to_align' });
    expect(await failure({ audio: join(directory, 'missing.wav') })).toMatchObject({ code: 'audio_not_found' });
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(align({ audio: short.audio, transcript: 'hi', model, signal: aborted })).rejects.toThrow('stop');
  });
});
