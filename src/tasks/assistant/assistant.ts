/**
 * `assistant`: the seed's voice assistant. Speech in → transcript → answer → speech out (or text in,
 * skipping the first step); returns the transcript, the answer and the path of a WAV under an output
 * folder. Pipelined: each sentence of the answer is spoken as soon as the model has written it,
 * while the model writes the next, and reported through `onEvent`, so a player can start long
 * before the last token. The WAV holds every sentence's audio end to end.
 */
import { MmkitError } from '../../errors.ts';
import type { CallOptions, ChatModel, SpeechModel, TranscriptionModel } from '../../models/spec/index.ts';
import { chat } from '../chat/chat.ts';
import { detectReplyLanguage } from '../chat/system-prompt.ts';
import { type AssistantInput, type AssistantInputType, checkAssistantInput } from './assistant-input.ts';
import { joinAudio } from './join-audio.ts';
import { DEFAULT_MAX_AUDIO_SECONDS, listen } from './listen.ts';
import { checkOutputFile, prepareOutputFolder, writeNewWav, writeWavAt } from './output-file.ts';
import { SentenceChunker, type SentenceChunkerOptions } from './sentence-chunker.ts';
import { SentenceSpeaker, type SpokenChunk } from './sentence-speaker.ts';
import { speakableText } from './speakable-text.ts';

export const DEFAULT_ASSISTANT_OUT_DIR = 'assistant_audio';

export interface AssistantOptions extends CallOptions {
  /** Needed for speech input. */
  transcriber?: TranscriptionModel;
  chatModel: ChatModel;
  speechModel: SpeechModel;
  /** The folder the WAV is saved in, under a fresh timestamped name (default `assistant_audio`). */
  outDir?: string;
  /** Save the WAV at exactly this path instead (must end in .wav; replaced if present). */
  outFile?: string;
  voice?: string;
  /** 1 is normal speed. */
  speed?: number;
  /** The spoken question's language, ISO 639-1 or `auto` (default `zh`, as in the seed). */
  language?: string;
  /** Refuse longer spoken questions (default 30 s). */
  maxAudioSeconds?: number;
  /** Names byte input in error messages (default `audio`). */
  audioName?: string;
  /** Passed to the answering model (see `chat`). */
  system?: string;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Speak sentence by sentence while the answer is generated (default true); false waits for the whole answer. */
  pipelined?: boolean;
  sentences?: SentenceChunkerOptions;
  onEvent?: (event: AssistantEvent) => void;
}

export type AssistantEvent =
  | { type: 'transcript'; text: string; language: string }
  | { type: 'text-delta'; text: string }
  /** A piece of a reasoning model's thinking: shown, never spoken. */
  | { type: 'reasoning-delta'; text: string }
  | { type: 'audio-chunk'; index: number; text: string; samples: Float32Array; sampleRate: number }
  | { type: 'done'; result: AssistantResult };

export interface AssistantTimings {
  /** Decoding and transcribing the question (speech input only). */
  transcribeMs?: number;
  /** The answer's first text, from the start of the call. */
  firstTokenMs?: number;
  /** The first audio ready to play, from the start of the call. */
  firstAudioMs: number;
  /** The whole answer written, from the start of the call. */
  answerMs: number;
  totalMs: number;
}

export interface AssistantResult {
  inputType: AssistantInputType;
  /** What was heard (speech input only). */
  transcript?: string;
  /** The answer, as spoken. */
  answer: string;
  /** What a reasoning model thought before answering (not spoken), when it did. */
  reasoning?: string;
  audioPath: string;
  sampleRate: number;
  audioSeconds: number;
  /** How many pieces the answer was spoken in. */
  chunks: number;
  timings: AssistantTimings;
}

export async function assistant(input: AssistantInput, options: AssistantOptions): Promise<AssistantResult> {
  const started = performance.now();
  const since = () => performance.now() - started;
  const checked = checkAssistantInput(input, options.audioName);
  if (checked.type === 'speech' && options.transcriber === undefined) {
    throw new MmkitError('assistant: speech input needs a transcription model', {
      code: 'model_missing',
      param: 'transcriber',
    });
  }
  const outDir = options.outDir ?? DEFAULT_ASSISTANT_OUT_DIR;
  if (options.outFile === undefined) await prepareOutputFolder(outDir);
  else await checkOutputFile(options.outFile);
  options.signal?.throwIfAborted();
  const emit = options.onEvent ?? (() => {});

  let question: string;
  let transcript: string | undefined;
  let transcribeMs: number | undefined;
  if (checked.type === 'speech') {
    const heard = await listen({
      audio: checked.audio,
      name: checked.name,
      transcriber: options.transcriber as TranscriptionModel,
      language: options.language ?? 'zh',
      maxSeconds: options.maxAudioSeconds ?? DEFAULT_MAX_AUDIO_SECONDS,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    transcribeMs = since();
    question = transcript = heard.text;
    emit({ type: 'transcript', text: heard.text, language: heard.language });
  } else {
    question = checked.text;
  }

  // Our own controller stops generation when speaking fails (and speaking when generation fails).
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let firstAudioMs: number | undefined;
  const speaker = new SentenceSpeaker({
    model: options.speechModel,
    signal,
    language: detectReplyLanguage(question),
    ...(options.voice === undefined ? {} : { voice: options.voice }),
    ...(options.speed === undefined ? {} : { speed: options.speed }),
    ...(options.sentences?.maxCharacters === undefined ? {} : { maxBatchCharacters: options.sentences.maxCharacters }),
    onChunk: (chunk) => {
      firstAudioMs ??= since();
      emit({ type: 'audio-chunk', ...chunk });
    },
    onFailure: (error) => stop.abort(error),
  });
  const chunker = new SentenceChunker(options.sentences);
  const pipelined = options.pipelined ?? true;
  const say = (sentences: string[]) => {
    for (const sentence of sentences) {
      const spoken = speakableText(sentence);
      if (spoken !== '') speaker.speak(spoken);
    }
  };

  let answer: string;
  let reasoning: string | undefined;
  let answerMs: number;
  let firstTokenMs: number | undefined;
  let chunks: SpokenChunk[];
  try {
    const reply = await chat({
      text: question,
      model: options.chatModel,
      signal,
      ...pick(options, ['system', 'maxNewTokens', 'temperature', 'topP', 'seed']),
      onTextDelta: (delta) => {
        firstTokenMs ??= since();
        emit({ type: 'text-delta', text: delta });
        if (pipelined) say(chunker.push(delta));
      },
      onReasoningDelta: (delta) => emit({ type: 'reasoning-delta', text: delta }),
    });
    answer = reply.text;
    reasoning = reply.reasoning;
    answerMs = since();
    say(pipelined ? chunker.flush() : [reply.text]);
    chunks = await speaker.finish();
  } catch (error) {
    stop.abort(error);
    await speaker.settle();
    throw options.signal?.aborted ? options.signal.reason : error;
  }
  if (chunks.length === 0) {
    throw new MmkitError(`assistant: the answer has nothing to speak (${JSON.stringify(answer.slice(0, 80))})`, {
      code: 'answer_empty',
      type: 'runtime_error',
    });
  }

  const audio = joinAudio(chunks);
  const audioPath =
    options.outFile === undefined
      ? await writeNewWav(outDir, audio.samples, audio.sampleRate)
      : await writeWavAt(options.outFile, audio.samples, audio.sampleRate);
  const result: AssistantResult = {
    inputType: checked.type,
    ...(transcript === undefined ? {} : { transcript }),
    answer,
    ...(reasoning === undefined ? {} : { reasoning }),
    audioPath,
    sampleRate: audio.sampleRate,
    audioSeconds: audio.samples.length / audio.sampleRate,
    chunks: chunks.length,
    timings: {
      ...(transcribeMs === undefined ? {} : { transcribeMs }),
      ...(firstTokenMs === undefined ? {} : { firstTokenMs }),
      firstAudioMs: firstAudioMs ?? since(),
      answerMs,
      totalMs: since(),
    },
  };
  emit({ type: 'done', result });
  return result;
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
