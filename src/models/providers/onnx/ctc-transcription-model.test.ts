import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { CTC_LEAD_IN, synthesizeCtcSpeech } from '../../../../testkit/ctc-speech.ts';
import { encodeWav } from '../../../media/wav.ts';
import { transcribe } from '../../../tasks/transcribe/index.ts';
import { ModelRegistry } from '../../registry.ts';
import type { CtcModel } from '../../spec/ctc-model.ts';
import { OnnxCtcModel } from './ctc-model.ts';
import { CtcTranscriptionModel, greedyPath } from './ctc-transcription-model.ts';
import { createOnnxProvider } from './provider.ts';

describe('CtcTranscriptionModel on the testkit tone CTC model', () => {
  let root: string;
  let ctc: OnnxCtcModel;
  let model: CtcTranscriptionModel;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-ctc-transcription-'));
    await buildTinyModel('wav2vec2-ctc', join(root, 'ctc'));
    ctc = await OnnxCtcModel.load(join(root, 'ctc'), { id: 'tiny-ctc' });
    model = new CtcTranscriptionModel(ctc);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const request = (samples: Float32Array, extra: object = {}) => ({
    samples,
    sampleRate: 16000,
    language: 'en',
    task: 'transcribe' as const,
    ...extra,
  });

  it('spells what it hears, repeated letters kept, with the frames of each word as timestamps', async () => {
    const speech = synthesizeCtcSpeech("hello isn't it");
    const result = await model.transcribe(request(speech.audio, { wordTimestamps: true }));
    expect(result.text).toBe("HELLO ISN'T IT");
    expect(result.language).toBe('en');
    expect(result.durationSeconds).toBeCloseTo(speech.audio.length / 16000, 9);
    expect(result.segments).toHaveLength(1);
    const words = result.segments[0]!.words!;
    expect(words.map((word) => word.word)).toEqual(['HELLO', "ISN'T", 'IT']);
    for (const [index, word] of words.entries()) {
      expect(word.start).toBeCloseTo(speech.words[index]!.startSeconds, 9);
      expect(word.end).toBeCloseTo(speech.words[index]!.endSeconds, 9);
    }
    expect(result.segments[0]).toMatchObject({ start: words[0]!.start, end: words[2]!.end });
  });

  it('starts a new segment after a pause, and leaves words out unless asked', async () => {
    const first = synthesizeCtcSpeech('good morning', { edgeFrames: 30 });
    const second = synthesizeCtcSpeech('see you');
    // Both start with the same lead-in; dropping the second's keeps it on the frame grid.
    const audio = new Float32Array(first.audio.length + second.audio.length - CTC_LEAD_IN);
    audio.set(first.audio);
    audio.set(second.audio.subarray(CTC_LEAD_IN), first.audio.length);
    const result = await model.transcribe(request(audio));
    expect(result.text).toBe('GOOD MORNING SEE YOU');
    expect(result.segments.map((segment) => segment.text)).toEqual(['GOOD MORNING', 'SEE YOU']);
    expect(result.segments[1]!.start - result.segments[0]!.end).toBeGreaterThanOrEqual(0.5);
    expect(result.segments[0]!.words).toBeUndefined();
  });

  it('reports the language it was asked for (und for auto) and refuses to translate', async () => {
    const { audio } = synthesizeCtcSpeech('yes');
    expect((await model.transcribe(request(audio, { language: 'auto' }))).language).toBe('und');
    await expect(model.transcribe(request(audio, { task: 'translate' }))).rejects.toMatchObject({
      code: 'translation_unsupported',
      message: expect.stringMatching(/^tiny-ctc is a CTC model: .*cannot translate; use a Whisper model/),
    });
  });

  it('makes each character a word when the vocabulary has no word delimiter (Chinese CTC models)', async () => {
    const characters: CtcModel = {
      description: { id: 'characters', provider: 'test' },
      vocabulary: ['<pad>', '<unk>', '你', '好', '吗'],
      blankId: 0,
      // 你 你 _ 好 _ _ 吗 <unk> 吗 (frames of 0.5 s)
      emissions: async () => {
        const path = [2, 2, 0, 3, 0, 0, 4, 1, 4];
        const logProbabilities = new Float32Array(path.length * 5).fill(-10);
        for (const [frame, id] of path.entries()) logProbabilities[frame * 5 + id] = 0;
        return { logProbabilities, frames: path.length, classes: 5, secondsPerFrame: 0.5 };
      },
    };
    const result = await new CtcTranscriptionModel(characters).transcribe(
      request(new Float32Array(16000), { wordTimestamps: true }),
    );
    expect(result.text).toBe('你好吗吗');
    expect(result.segments.flatMap((segment) => segment.words)).toEqual([
      { word: '你', start: 0, end: 1 },
      { word: '好', start: 1.5, end: 2 },
      { word: '吗', start: 3, end: 3.5 },
      { word: '吗', start: 4, end: 4.5 },
    ]);
  });
});

describe('greedyPath', () => {
  it('takes the most likely class of every frame', () => {
    const logProbabilities = new Float32Array([-1, -0.1, -3, -0.2, -2, -0.5, -5, -6, -0.01]);
    expect(Array.from(greedyPath(logProbabilities, 3, 3))).toEqual([1, 0, 2]);
  });
});

describe('CTC models through the onnx provider and the transcribe task', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-ctc-transcribe-'));
    await buildTinyModel('wav2vec2-ctc', join(root, 'ctc'));
    await buildTinyModel('clip', join(root, 'clip'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('transcribes a WAV file with a folder whose architecture is …ForCTC', async () => {
    const registry = new ModelRegistry({
      config: { models: { ctc: { id: join(root, 'ctc') } } },
      providers: [createOnnxProvider()],
    });
    const speech = synthesizeCtcSpeech('open the door');
    const result = await transcribe({
      audio: encodeWav(speech.audio, 16000),
      model: await registry.load('transcription', 'ctc'),
      language: 'en',
    });
    expect(result.text).toBe('OPEN THE DOOR');
    expect(result.segments).toMatchObject([{ text: 'OPEN THE DOOR', seek: 0 }]);
  });

  it('refuses a folder that is neither Whisper nor CTC in one line', async () => {
    const registry = new ModelRegistry({
      config: { models: { clip: { id: join(root, 'clip') } } },
      providers: [createOnnxProvider()],
    });
    await expect(registry.load('transcription', 'clip')).rejects.toMatchObject({
      code: 'unsupported_architecture',
      message: `${join(root, 'clip')} holds a clip model, not a speech recognition model (Whisper, or one fine-tuned for CTC)`,
    });
  });
});
