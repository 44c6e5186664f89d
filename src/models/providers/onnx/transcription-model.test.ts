import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../../testkit/model-files.ts';
import { whisperFiles } from '../../../../testkit/whisper.ts';
import { synthesizeWhisperSpeech, whisperSpeechSegments } from '../../../../testkit/whisper-speech.ts';
import type { WhisperWord } from '../../../../testkit/whisper-vocabulary.ts';
import { OnnxTranscriptionModel } from './transcription-model.ts';

describe('OnnxTranscriptionModel (testkit whisper)', () => {
  let directory: string;
  let model: OnnxTranscriptionModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-onnx-whisper-'));
    await writeModelFiles(directory, whisperFiles());
    model = await OnnxTranscriptionModel.load(directory, { id: 'tiny-whisper' });
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  const request = (samples: Float32Array, extra: Record<string, unknown> = {}) => ({
    samples,
    sampleRate: 16000,
    language: 'zh',
    task: 'transcribe' as const,
    ...extra,
  });

  it('transcribes Chinese with segment timestamps within 0.04 s of the words', async () => {
    const spoken: WhisperWord[] = ['three', 'one', 'four'];
    const options = { leadSeconds: 1.2, wordSeconds: 0.7, gapSeconds: 1.5 };
    const result = await model.transcribe(request(synthesizeWhisperSpeech(spoken, options)));
    expect(result.text).toBe('三一四');
    expect(result.language).toBe('zh');
    expect(result.segments.map((segment) => segment.text)).toEqual(['三', '一', '四']);
    expect(result.segments.map((segment) => segment.id)).toEqual([0, 1, 2]);
    whisperSpeechSegments(spoken, options).forEach((expected, index) => {
      expect(Math.abs(result.segments[index].start - expected.start)).toBeLessThanOrEqual(0.04);
      expect(Math.abs(result.segments[index].end - expected.end)).toBeLessThanOrEqual(0.04);
    });
    expect(result.durationSeconds).toBeCloseTo(1.2 + 3 * 0.7 + 2 * 1.5, 3);
    expect(model.description).toEqual({ id: 'tiny-whisper', provider: 'onnx' });
  });

  it('transcribes English, translates Chinese speech to English, and detects a language with auto', async () => {
    const audio = synthesizeWhisperSpeech(['five', 'six']);
    expect((await model.transcribe(request(audio, { language: 'en' }))).text).toBe('five six');
    const translated = await model.transcribe(request(audio, { task: 'translate' }));
    expect(translated).toMatchObject({ text: 'five six', language: 'zh' });
    // The tiny model scores every language token alike, so detection falls to the first: English.
    const detected = await model.transcribe(request(audio, { language: 'auto' }));
    expect(detected).toMatchObject({ text: 'five six', language: 'en' });
    expect(model.languages).toContain('zh');
  });

  it('puts the prompt before <|startoftranscript|>', async () => {
    const audio = synthesizeWhisperSpeech(['two', 'three']);
    // Byte tokens mean nothing to the tiny decoder, so the transcript stands; a word token counts as
    // a word already said and throws its counting off, which shows the prompt reached the decoder.
    expect((await model.transcribe(request(audio, { prompt: 'Glossary: xyz' }))).text).toBe('二三');
    expect((await model.transcribe(request(audio, { language: 'en' }))).text).toBe('two three');
    expect((await model.transcribe(request(audio, { prompt: 'one', language: 'en' }))).text).not.toBe('two three');
  });

  it('gives no text for silence', async () => {
    const result = await model.transcribe(request(new Float32Array(16000 * 2)));
    expect(result).toMatchObject({ text: '', segments: [] });
  });

  it('stops generating when the signal fires', async () => {
    const audio = synthesizeWhisperSpeech(['one', 'two', 'three', 'four', 'five', 'six']);
    const already = AbortSignal.abort();
    await expect(model.transcribe(request(audio, { signal: already }))).rejects.toThrow(/abort/i);
    // A signal that fires after a few checks: generation stops at the next token.
    let checks = 0;
    const controller = new AbortController();
    const signal = {
      get aborted() {
        checks++;
        if (checks === 4) controller.abort();
        return controller.signal.aborted;
      },
      get reason() {
        return controller.signal.reason;
      },
      throwIfAborted() {
        if (this.aborted) throw controller.signal.reason;
      },
    } as AbortSignal;
    await expect(model.transcribe(request(audio, { signal }))).rejects.toThrow(/abort/i);
    expect(checks).toBeLessThan(8);
  });

  it('refuses audio over 30 s, other sample rates and unknown languages in one line', async () => {
    await expect(model.transcribe(request(new Float32Array(16000 * 31)))).rejects.toThrow(
      /at most 30 s per call, got 31\.0 s/,
    );
    await expect(model.transcribe({ ...request(new Float32Array(8000)), sampleRate: 8000 })).rejects.toThrow(
      /16000 Hz/,
    );
    await expect(model.transcribe(request(new Float32Array(8000), { language: 'xx' }))).rejects.toThrow(
      /language "xx" is not one tiny-whisper knows; use auto or a code such as en, zh/,
    );
  });

  it('says which folder is not a model', async () => {
    await expect(OnnxTranscriptionModel.load(join(directory, 'onnx'))).rejects.toThrow(/has no config\.json/);
  });
});
