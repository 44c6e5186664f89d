import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../../testkit/build.ts';
import { synthesizeWhisperSpeech } from '../../../../testkit/whisper-speech.ts';
import { ModelRegistry } from '../../registry.ts';
import { createOnnxProvider } from './provider.ts';

describe('onnx provider: transcription and speech', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-onnx-provider-speech-'));
    await buildTinyModel('whisper', join(root, 'whisper'));
    await buildTinyModel('vits', join(root, 'vits'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads Whisper and VITS folders for the transcription and speech capabilities', async () => {
    const registry = new ModelRegistry({ providers: [createOnnxProvider()] });
    const transcriber = await registry.load('transcription', join(root, 'whisper'));
    const result = await transcriber.transcribe({
      samples: synthesizeWhisperSpeech(['two', 'five']),
      sampleRate: 16000,
      language: 'zh',
      task: 'transcribe',
    });
    expect(result.text).toBe('二五');
    expect(transcriber.description).toEqual({ id: `onnx:${join(root, 'whisper')}`, provider: 'onnx' });
    const speaker = await registry.load('speech', join(root, 'vits'));
    const speech = await speaker.synthesize({ text: 'hi' });
    expect(speech.samples.length).toBe(2 * 1600);
    await expect(registry.load('speech', join(root, 'whisper'))).rejects.toThrow(
      /holds a whisper model, not a VITS text-to-speech model$/,
    );
  });
});
