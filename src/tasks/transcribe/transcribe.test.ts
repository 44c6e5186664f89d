import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { whisperFiles } from '../../../testkit/whisper.ts';
import { synthesizeWhisperWordGroups } from '../../../testkit/whisper-word-groups.ts';
import { encodeWav } from '../../media/wav.ts';
import { OnnxTranscriptionModel } from '../../models/providers/onnx/transcription-model.ts';
import type { TranscriptionModel, TranscriptionRequest } from '../../models/spec/index.ts';
import { transcribe } from './transcribe.ts';

/** A model that says which window it heard (by its first sample) and in which language. */
function fakeModel(detected: string) {
  const requests: TranscriptionRequest[] = [];
  const model: TranscriptionModel = {
    description: { id: 'fake', provider: 'test' },
    async transcribe(request) {
      requests.push(request);
      const seconds = request.samples.length / request.sampleRate;
      const marker = Math.round(request.samples[0] * 1000);
      return {
        text: `w${marker}`,
        language: request.language === 'auto' ? detected : request.language,
        durationSeconds: seconds,
        segments: [{ id: 0, start: 12, end: 13, text: `w${marker}` }],
        timings: { totalMs: 0 },
      };
    },
  };
  return { model, requests };
}

/** 16 kHz samples whose value at each window start tells the windows apart. */
function markedAudio(seconds: number): Float32Array {
  const samples = new Float32Array(seconds * 16000).fill(0.1);
  for (const start of [0, 20, 40]) samples[start * 16000] = start / 1000 + 0.001;
  return samples;
}

describe('transcribe (task)', () => {
  it('windows long audio, uses the first window’s detected language for the rest, offsets times', async () => {
    const { model, requests } = fakeModel('fr');
    const progress: number[][] = [];
    const result = await transcribe({
      audio: markedAudio(70),
      model,
      language: 'auto',
      task: 'translate',
      prompt: 'names',
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(requests.map((request) => [request.language, request.samples.length / 16000])).toEqual([
      ['auto', 30],
      ['fr', 30],
      ['fr', 30],
    ]);
    expect(requests.every((request) => request.task === 'translate' && request.prompt === 'names')).toBe(true);
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(result).toMatchObject({ task: 'translate', language: 'fr', durationSeconds: 70, text: 'w1 w21 w41' });
    expect(result.segments).toEqual([
      { id: 0, seek: 0, start: 12, end: 13, text: 'w1' },
      { id: 1, seek: 2000, start: 32, end: 33, text: 'w21' },
      { id: 2, seek: 4000, start: 52, end: 53, text: 'w41' },
    ]);
  });

  it('defaults to Chinese transcription', async () => {
    const { model, requests } = fakeModel('en');
    const result = await transcribe({ audio: markedAudio(5), model });
    expect(requests[0]).toMatchObject({ language: 'zh', task: 'transcribe', sampleRate: 16000 });
    expect(result.language).toBe('zh');
  });

  it('answers digital silence with an empty transcript, without asking the model', async () => {
    const { model, requests } = fakeModel('en');
    const result = await transcribe({ audio: new Float32Array(32000), model, language: 'auto' });
    expect(result).toMatchObject({ text: '', segments: [], language: 'und', durationSeconds: 2, task: 'transcribe' });
    expect(requests).toHaveLength(0);
  });

  it('refuses empty, too long and unreadable audio and bad options in one line', async () => {
    const { model, requests } = fakeModel('en');
    await expect(transcribe({ audio: new Float32Array(0), model })).rejects.toThrow(/^audio: contains no audio$/);
    await expect(transcribe({ audio: markedAudio(20), model, maxSeconds: 10 })).rejects.toThrow(
      /audio is 20\.0 s long, over the limit of 10 s/,
    );
    const notAudio = new TextEncoder().encode('just some text, not audio at all');
    await expect(transcribe({ audio: notAudio, model, name: 'notes.txt' })).rejects.toMatchObject({
      code: 'audio_unsupported',
      message: expect.stringMatching(/^notes\.txt: not a recognised audio format/),
    });
    await expect(transcribe({ audio: markedAudio(2), model, language: 'chinese!' })).rejects.toThrow(
      /language must be auto or a language code/,
    );
    await expect(transcribe({ audio: markedAudio(2), model, task: 'summarise' as never })).rejects.toThrow(
      /task must be transcribe or translate/,
    );
    expect(requests).toEqual([]);
  });

  it('stops between windows when the signal fires', async () => {
    const { model, requests } = fakeModel('en');
    const controller = new AbortController();
    const promise = transcribe({
      audio: markedAudio(70),
      model,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(promise).rejects.toThrow(/abort/i);
    expect(requests).toHaveLength(1);
  });
});

describe('transcribe with the testkit whisper', () => {
  let directory: string;
  let model: OnnxTranscriptionModel;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mmkit-transcribe-'));
    await writeModelFiles(join(directory, 'whisper'), whisperFiles());
    model = await OnnxTranscriptionModel.load(join(directory, 'whisper'));
  });

  afterAll(async () => {
    await model?.dispose();
    await rm(directory, { recursive: true, force: true });
  });

  it('transcribes 70 s of word groups across three windows with no word repeated or lost', async () => {
    const { samples, words: spoken } = synthesizeWhisperWordGroups(70);
    // Words are cut by every window edge (windows 0–30, 20–50, 40–70 s).
    for (const edge of [20, 30, 40, 50]) {
      expect(Math.max(...samples.subarray(edge * 16000 - 4, edge * 16000 + 4).map(Math.abs))).toBeGreaterThan(0.01);
    }
    const path = join(directory, 'long.wav');
    await writeFile(path, encodeWav(samples, 16000));
    const settled: string[] = [];
    const result = await transcribe({
      audio: path,
      model,
      language: 'en',
      onSettledText: (text) => settled.push(text),
    });
    expect(spoken.length).toBeGreaterThan(40);
    expect(result.text).toBe(spoken.join(' '));
    // Window by window, text that only grows: each a prefix of the next, the last the whole transcript.
    expect(settled).toHaveLength(3);
    expect(settled[0]!.length).toBeGreaterThan(0);
    for (let index = 1; index < settled.length; index++) {
      expect(settled[index]!.startsWith(settled[index - 1]!)).toBe(true);
      expect(settled[index]!.length).toBeGreaterThan(settled[index - 1]!.length);
    }
    expect(settled.at(-1)).toBe(result.text);
    expect(result.segments).toHaveLength(spoken.length);
    expect(new Set(result.segments.map((segment) => segment.seek))).toEqual(new Set([0, 2000, 4000]));
    for (let index = 1; index < result.segments.length; index++) {
      expect(result.segments[index].start).toBeGreaterThan(result.segments[index - 1].end);
    }
    expect(result.durationSeconds).toBe(70);
  });
});
