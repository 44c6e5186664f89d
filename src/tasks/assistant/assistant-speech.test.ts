import { mkdtempSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiTestServer, startOpenAiTestServer } from '../../../testkit/openai-server.ts';
import { isMmkitError } from '../../errors.ts';
import { encodeWav } from '../../media/wav.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import { EspeakSpeechModel } from '../../models/providers/espeak/espeak-speech-model.ts';
import { loadAudio } from '../../preprocess/audio/load.ts';
import { FixedTranscriptionModel, ScriptedChatModel, ToneSpeechModel } from '../test-support/fake-models.ts';
import { type AssistantEvent, type AssistantOptions, assistant } from './assistant.ts';

function tone(seconds: number, sampleRate = 16000, amplitude = 0.3): Float32Array {
  return Float32Array.from(
    { length: Math.round(seconds * sampleRate) },
    (_, index) => amplitude * Math.sin((2 * Math.PI * 220 * index) / sampleRate),
  );
}

describe('assistant, speech in, over an OpenAI-compatible server', () => {
  let root: string;
  let server: OpenAiTestServer;
  const transcript = 'What is the weather like today?';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-assistant-speech-'));
    server = await startOpenAiTestServer({ transcript });
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('transcribes the question, answers it and speaks the answer', async () => {
    const registry = createDefaultRegistry();
    const transcriber = await registry.load('transcription', `openai:whisper@${server.baseURL}`);
    const chatModel = await registry.load('chat', `openai:echo@${server.baseURL}`);
    const question = join(root, 'question.wav');
    await writeFile(question, encodeWav(tone(1.5, 48000), 48000));
    const outDir = join(root, 'answers');
    const events: AssistantEvent[] = [];
    const result = await assistant(
      { audio: question },
      { transcriber, chatModel, speechModel: new EspeakSpeechModel(), outDir, onEvent: (event) => events.push(event) },
    );
    expect(result).toMatchObject({ inputType: 'speech', transcript, answer: transcript, chunks: 1 });
    expect(events[0]).toEqual({ type: 'transcript', text: transcript, language: 'zh' });
    expect(result.timings.transcribeMs).toBeGreaterThan(0);
    expect(result.timings.transcribeMs).toBeLessThanOrEqual(result.timings.firstTokenMs!);

    // The server heard our 16 kHz copy of the question, in Chinese as the seed asks.
    const upload = server.requests.find((request) => request.path === '/audio/transcriptions')!;
    expect(upload.form?.fields.language).toEqual(['zh']);
    const sent = await loadAudio(new Uint8Array(upload.form!.files.file.data));
    expect(sent.sampleRate).toBe(16000);
    expect(sent.durationSeconds).toBeCloseTo(1.5, 3);
    // The answering model was asked the transcript.
    const chatRequest = server.requests.find((request) => request.path === '/chat/completions')!;
    expect(chatRequest.json?.messages.at(-1)).toEqual({ role: 'user', content: transcript });
    expect((await loadAudio(result.audioPath)).durationSeconds).toBeGreaterThan(1);
    expect(await readdir(outDir)).toHaveLength(1);
  });

  it('takes the audio as bytes and passes the language on', async () => {
    const transcriber = new FixedTranscriptionModel('你好，今天天气怎么样？');
    const chatModel = new ScriptedChatModel({ pieces: ['今天是晴天，', '很适合出门散步。'] });
    const result = await assistant(
      { type: 'speech', audio: new Uint8Array(encodeWav(tone(0.5), 16000)) },
      { transcriber, chatModel, speechModel: new ToneSpeechModel(), outDir: join(root, 'bytes'), language: 'auto' },
    );
    expect(result).toMatchObject({ transcript: '你好，今天天气怎么样？', answer: '今天是晴天，很适合出门散步。' });
    expect(transcriber.requests[0]).toMatchObject({ language: 'auto', task: 'transcribe', sampleRate: 16000 });
    expect(transcriber.requests[0].samples.length).toBe(8000);
    expect(chatModel.requests[0].messages[0].content).toMatch(/语音助手/);
  });
});

describe('assistant input errors', () => {
  // Made now, not in a hook: the expected messages below name these files.
  const root = mkdtempSync(join(tmpdir(), 'mmkit-assistant-errors-'));
  const files = {
    silent: join(root, 'silent.wav'),
    long: join(root, 'long.wav'),
    text: join(root, 'notes.txt'),
    empty: join(root, 'empty.wav'),
    speech: join(root, 'speech.wav'),
    aFile: join(root, 'a-file'),
  };

  beforeAll(async () => {
    await writeFile(files.silent, encodeWav(new Float32Array(16000), 16000));
    await writeFile(files.long, encodeWav(tone(3), 16000));
    await writeFile(files.text, 'this is not audio at all, just some words in a file');
    await writeFile(files.empty, '');
    await writeFile(files.speech, encodeWav(tone(1), 16000));
    await writeFile(files.aFile, 'x');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cases: Array<[string, () => [unknown, Partial<AssistantOptions>], string]> = [
    ['speech without audio', () => [{ type: 'speech' }, {}], 'assistant: speech input needs an audio file'],
    ['text without text', () => [{ type: 'text' }, {}], 'assistant: text input needs text'],
    ['blank text', () => [{ text: '  ' }, {}], 'assistant: text input needs text'],
    ['speech with text', () => [{ type: 'speech', text: 'hi' }, {}], 'assistant: speech input takes audio, not text'],
    [
      'text with audio',
      () => [{ type: 'text', audio: files.speech }, {}],
      'assistant: text input takes text, not audio',
    ],
    ['both', () => [{ audio: files.speech, text: 'hi' }, {}], 'assistant: give either audio or text, not both'],
    [
      'another type',
      () => [{ type: 'video', text: 'hi' }, {}],
      'assistant: input type must be "speech" or "text", got "video"',
    ],
    ['nothing', () => [{}, {}], 'assistant: nothing to answer: give audio (speech input) or text'],
    ['not an object', () => ['hello', {}], 'assistant: the input must be {audio} or {text}'],
    [
      'no transcriber',
      () => [{ audio: files.speech }, { transcriber: undefined }],
      'assistant: speech input needs a transcription model',
    ],
    ['silent audio', () => [{ audio: files.silent }, {}], `${files.silent}: no speech was recognised in the audio`],
    [
      'long audio',
      () => [{ audio: files.long }, { maxAudioSeconds: 2 }],
      `${files.long}: audio is 3.0 s long, over the limit of 2 s`,
    ],
    [
      'not audio',
      () => [{ audio: files.text }, {}],
      `${files.text}: not a recognised audio format (supported: WAV, MP3, Ogg Vorbis, Ogg Opus, FLAC, WebM, M4A/AAC)`,
    ],
    ['an empty file', () => [{ audio: files.empty }, {}], `${files.empty}: file is empty (0 bytes)`],
    ['a missing file', () => [{ audio: join(root, 'absent.wav') }, {}], `${join(root, 'absent.wav')}: no such file`],
    ['empty bytes', () => [{ audio: new Uint8Array() }, {}], 'assistant: the audio is empty (0 bytes)'],
    [
      'unnamed bad bytes',
      () => [{ audio: new Uint8Array([1, 2, 3, 4]) }, {}],
      'audio: not a recognised audio format (supported: WAV, MP3, Ogg Vorbis, Ogg Opus, FLAC, WebM, M4A/AAC)',
    ],
    [
      'a non-WAV output file',
      () => [{ text: 'hi' }, { outFile: join(root, 'out.mp3') }],
      `${join(root, 'out.mp3')}: the output file must end in .wav`,
    ],
    [
      'an output file in a missing folder',
      () => [{ text: 'hi' }, { outFile: join(root, 'nope', 'out.wav') }],
      `${join(root, 'nope', 'out.wav')}: the folder ${join(root, 'nope')} does not exist`,
    ],
  ];

  it.each(cases)('refuses %s with one line, before any model runs', async (_name, make, message) => {
    const [input, extra] = make();
    const transcriber = new FixedTranscriptionModel('hello');
    const chatModel = new ScriptedChatModel({ pieces: ['An answer.'] });
    const speechModel = new ToneSpeechModel();
    const outDir = join(root, 'out');
    const error = await assistant(input as never, { transcriber, chatModel, speechModel, outDir, ...extra }).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(isMmkitError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
    expect(transcriber.requests).toEqual([]);
    expect(chatModel.requests).toEqual([]);
    expect(await readdir(outDir).catch(() => [])).toEqual([]);
  });

  it('refuses a transcript with nothing in it, and an output folder that is a file', async () => {
    const chatModel = new ScriptedChatModel({ pieces: ['An answer.'] });
    const speechModel = new ToneSpeechModel();
    const nothingHeard = assistant(
      { audio: files.speech },
      { transcriber: new FixedTranscriptionModel('  '), chatModel, speechModel, outDir: join(root, 'out') },
    );
    await expect(nothingHeard).rejects.toThrow(`${files.speech}: no speech was recognised in the audio`);
    const badFolder = assistant({ text: 'hi' }, { chatModel, speechModel, outDir: files.aFile });
    await expect(badFolder).rejects.toThrow(new RegExp(`^${files.aFile}: cannot create the output folder`));
    expect(chatModel.requests).toEqual([]);
    expect(await readFile(files.aFile, 'utf8')).toBe('x');
  });
});
