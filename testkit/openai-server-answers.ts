/**
 * The deterministic answers of the OpenAI-compatible test server, one function per endpoint, so a
 * test can predict every byte: chat echoes the last user text one code point per token (or, when
 * tools are offered and that text is `{"name": TOOL, "arguments": …}`, calls the tool), speech is
 * a 440 Hz tone whose length follows the text, images are solid colours that encode the request,
 * embeddings encode the text's length and first character.
 */
import sharp from 'sharp';
import { encodeWav } from '../src/media/wav.ts';
import type { MultipartForm } from './multipart.ts';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent.
export type JsonBody = Record<string, any>;

export interface ChatAnswer {
  tokens: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  promptTokens: number;
  toolCall?: { name: string; arguments: string };
  /** A reasoning model's thinking, sent as `reasoning_content`. */
  reasoning?: string;
}

/** The echoed text as a call of an offered tool, when it is one. */
function toolCallIn(text: string, body: JsonBody): ChatAnswer['toolCall'] {
  const offered = new Set((body.tools ?? []).map((tool: JsonBody) => tool.function?.name));
  try {
    const value = JSON.parse(text);
    if (offered.has(value?.name)) return { name: value.name, arguments: JSON.stringify(value.arguments ?? {}) };
  } catch {}
  return undefined;
}

/** Echo of the last user message's text; cut by `max_tokens` (→ length) or a stop string. */
export function chatAnswer(body: JsonBody): ChatAnswer {
  const messages: JsonBody[] = Array.isArray(body.messages) ? body.messages : [];
  const textOf = (message: JsonBody): string =>
    typeof message.content === 'string'
      ? message.content
      : (message.content ?? [])
          .filter((part: JsonBody) => part.type === 'text')
          .map((part: JsonBody) => part.text)
          .join(' ');
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  let text = lastUser ? textOf(lastUser) : '';
  for (const stop of body.stop ?? []) {
    const at = text.indexOf(stop);
    if (at !== -1) text = text.slice(0, at);
  }
  // As vLLM with a reasoning parser: a leading <think> block is the reasoning, apart from the content.
  const thinking = /^<think>([\s\S]*?)<\/think>\s*/.exec(text);
  const reasoning = thinking?.[1];
  if (thinking) text = text.slice(thinking[0].length);
  let tokens = Array.from(text);
  let finishReason: ChatAnswer['finishReason'] = 'stop';
  const limit = body.max_tokens ?? body.max_completion_tokens;
  if (typeof limit === 'number' && tokens.length > limit) {
    tokens = tokens.slice(0, limit);
    finishReason = 'length';
  }
  const promptTokens = messages.reduce((sum, message) => sum + Array.from(textOf(message)).length, 0);
  const toolCall = toolCallIn(text, body);
  if (toolCall) return { tokens: [], finishReason: 'tool_calls', promptTokens, toolCall };
  return { tokens, finishReason, promptTokens, ...(reasoning === undefined ? {} : { reasoning }) };
}

export function chatCompletionJson(body: JsonBody, answer: ChatAnswer): JsonBody {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1700000000,
    model: body.model,
    choices: [
      {
        index: 0,
        message: answer.toolCall
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_test', type: 'function', function: answer.toolCall }],
            }
          : {
              role: 'assistant',
              content: answer.tokens.join(''),
              ...(answer.reasoning === undefined ? {} : { reasoning_content: answer.reasoning }),
            },
        finish_reason: answer.finishReason,
        logprobs: logprobsOf(body, answer.tokens),
      },
    ],
    usage: usage(answer),
  };
}

/** The stream as SSE text pieces: a keep-alive comment, a role chunk, one chunk per token, … */
export function chatStreamEvents(body: JsonBody, answer: ChatAnswer): string[] {
  const chunk = (choices: JsonBody[], extra: JsonBody = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', model: body.model, choices, ...extra })}\n\n`;
  const events = [': keep-alive\n\n', chunk([{ index: 0, delta: { role: 'assistant', content: '' } }])];
  for (const piece of (answer.reasoning ?? '').match(/[\s\S]{1,4}/g) ?? []) {
    events.push(chunk([{ index: 0, delta: { reasoning_content: piece }, finish_reason: null }]));
  }
  answer.tokens.forEach((token, index) => {
    events.push(
      chunk([{ index: 0, delta: { content: token }, finish_reason: null, logprobs: logprobsOf(body, [token]) }]),
    );
    if (index === 1) events.push(': still working\n\n');
  });
  if (answer.toolCall) {
    // As OpenAI streams a call: the name first, then the arguments in pieces.
    const { name, arguments: args } = answer.toolCall;
    const half = Math.ceil(args.length / 2);
    const piece = (fields: JsonBody) => chunk([{ index: 0, delta: { tool_calls: [{ index: 0, ...fields }] } }]);
    events.push(piece({ id: 'call_test', type: 'function', function: { name, arguments: '' } }));
    events.push(
      piece({ function: { arguments: args.slice(0, half) } }),
      piece({ function: { arguments: args.slice(half) } }),
    );
  }
  events.push(chunk([{ index: 0, delta: {}, finish_reason: answer.finishReason }]));
  if (body.stream_options?.include_usage) events.push(chunk([], { usage: usage(answer) }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** `/completions`: the prompt continued by itself in capitals (so a test can tell the two apart), cut by `max_tokens`. */
export function completionAnswer(body: JsonBody): ChatAnswer {
  const prompt = String([body.prompt].flat()[0] ?? '');
  let tokens = Array.from(prompt.toUpperCase());
  let finishReason: ChatAnswer['finishReason'] = 'stop';
  if (typeof body.max_tokens === 'number' && tokens.length > body.max_tokens) {
    tokens = tokens.slice(0, body.max_tokens);
    finishReason = 'length';
  }
  return { tokens, finishReason, promptTokens: Array.from(prompt).length };
}

export function completionStreamEvents(body: JsonBody, answer: ChatAnswer): string[] {
  const chunk = (choices: JsonBody[], extra: JsonBody = {}) =>
    `data: ${JSON.stringify({ id: 'cmpl-test', object: 'text_completion', model: body.model, choices, ...extra })}\n\n`;
  const events = answer.tokens.map((token) => chunk([{ index: 0, text: token, finish_reason: null }]));
  events.push(chunk([{ index: 0, text: '', finish_reason: answer.finishReason }]));
  if (body.stream_options?.include_usage) events.push(chunk([], { usage: usage(answer) }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** With `logprobs`: each token at log probability −0.25, and itself as the one alternative per `top_logprobs`. */
function logprobsOf(body: JsonBody, tokens: readonly string[]): JsonBody | null {
  if (!body.logprobs) return null;
  const entry = (token: string) => ({ token, logprob: -0.25, bytes: [...Buffer.from(token, 'utf8')] });
  const top = Number(body.top_logprobs ?? 0);
  return { content: tokens.map((token) => ({ ...entry(token), top_logprobs: top > 0 ? [entry(token)] : [] })) };
}

/** A character is a token; a reasoning model's thinking counts among the completion's, as OpenAI's does. */
function usage(answer: ChatAnswer): JsonBody {
  const thinking = answer.reasoning === undefined ? undefined : Array.from(answer.reasoning).length;
  const completion = answer.tokens.length + (thinking ?? 0);
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: completion,
    total_tokens: answer.promptTokens + completion,
    ...(thinking === undefined ? {} : { completion_tokens_details: { reasoning_tokens: thinking } }),
  };
}

/** Cuts an event's bytes inside its first multi-byte character, when it has one, else in the middle. */
export function splitForWrites(event: string): Buffer[] {
  const bytes = Buffer.from(event, 'utf8');
  const continuation = bytes.findIndex((byte) => byte >= 0x80 && byte < 0xc0);
  const at = continuation > 0 ? continuation : Math.floor(bytes.length / 2);
  return at > 0 ? [bytes.subarray(0, at), bytes.subarray(at)] : [bytes];
}

const LANGUAGE_NAMES: Record<string, string> = { zh: 'chinese', en: 'english', fr: 'french', de: 'german' };

/** Duration from the uploaded WAV; the transcript's words spread evenly over it, in two segments. */
export function transcriptionAnswer(form: MultipartForm, transcript: string, translate: boolean): JsonBody | string {
  const wav = form.files.file?.data ?? Buffer.alloc(0);
  const durationSeconds = wavDuration(wav);
  const format = form.fields.response_format?.[0] ?? 'json';
  const text = translate ? `(translated) ${transcript}` : transcript;
  if (format === 'text') return text;
  if (format === 'json') return { text };
  const words = text.split(' ');
  const step = durationSeconds / words.length;
  const timedWords = words.map((word, index) => ({ word, start: index * step, end: (index + 1) * step }));
  const half = Math.ceil(words.length / 2);
  const groups = [timedWords.slice(0, half), timedWords.slice(half)].filter((group) => group.length > 0);
  const segments = groups.map((group, id) => ({
    id,
    seek: 0,
    start: group[0].start,
    end: group[group.length - 1].end,
    text: ` ${group.map((word) => word.word).join(' ')}`,
    tokens: [],
    temperature: 0,
  }));
  const language = form.fields.language?.[0];
  const answer: JsonBody = {
    task: translate ? 'translate' : 'transcribe',
    language: translate ? 'english' : (LANGUAGE_NAMES[language ?? 'en'] ?? language),
    duration: durationSeconds,
    text,
    segments,
  };
  if (form.fields['timestamp_granularities[]']?.includes('word')) answer.words = timedWords;
  return answer;
}

function wavDuration(wav: Buffer): number {
  if (wav.length < 44 || wav.toString('ascii', 0, 4) !== 'RIFF') return 0;
  const channels = wav.readUInt16LE(22);
  const sampleRate = wav.readUInt32LE(24);
  const bitsPerSample = wav.readUInt16LE(34);
  const dataAt = wav.indexOf('data', 12);
  const dataBytes = dataAt === -1 ? 0 : wav.readUInt32LE(dataAt + 4);
  return dataBytes / (sampleRate * channels * (bitsPerSample / 8));
}

export const SPEECH_SAMPLE_RATE = 24_000;

/** A 0.5-amplitude tone, 10 ms per code point of input (divided by `speed`); `alloy` at 440 Hz, others 220 Hz. */
export function speechSamples(body: JsonBody): Float32Array {
  const speed = typeof body.speed === 'number' ? body.speed : 1;
  const length = Math.round((Array.from(String(body.input ?? '')).length * SPEECH_SAMPLE_RATE) / 100 / speed);
  const frequency = body.voice === 'alloy' ? 440 : 220;
  const samples = new Float32Array(length);
  for (let index = 0; index < length; index++) {
    samples[index] = 0.5 * Math.sin((2 * Math.PI * frequency * index) / SPEECH_SAMPLE_RATE);
  }
  return samples;
}

export function speechAnswer(body: JsonBody): { bytes: Buffer; contentType: string } {
  const wav = encodeWav(speechSamples(body), SPEECH_SAMPLE_RATE);
  if (body.response_format === 'pcm') return { bytes: wav.subarray(44), contentType: 'audio/pcm' };
  return { bytes: wav, contentType: 'audio/wav' };
}

/** The colour of image `index` in a request: red if the prompt says "red", green = seed, blue = 60 × index. */
export function imageColour(body: JsonBody, index: number): { r: number; g: number; b: number } {
  const prompt = String(body.prompt ?? '');
  return {
    r: prompt.includes('red') ? 200 : 20,
    g: typeof body.seed === 'number' ? body.seed % 256 : 0,
    b: (index * 60) % 256,
  };
}

export async function imagesAnswer(body: JsonBody): Promise<JsonBody> {
  const [width, height] = String(body.size ?? '256x256')
    .split('x')
    .map(Number);
  const count = typeof body.n === 'number' ? body.n : 1;
  const data: JsonBody[] = [];
  for (let index = 0; index < count; index++) {
    // RGBA on purpose: clients must drop the alpha channel themselves.
    const png = await sharp({
      create: { width, height, channels: 4, background: { ...imageColour(body, index), alpha: 1 } },
    })
      .png()
      .toBuffer();
    data.push(
      body.response_format === 'b64_json'
        ? { b64_json: png.toString('base64') }
        : { url: `data:image/png;base64,${png.toString('base64')}` },
    );
  }
  return { created: 1700000000, data };
}

/** [code points, first code point, -2.5, -3.5, …]: exact in float32, so both encodings agree. */
export function embeddingVector(text: string, dimensions: number): number[] {
  const characters = Array.from(text);
  return Array.from({ length: dimensions }, (_, index) => {
    if (index === 0) return characters.length;
    if (index === 1) return characters[0]?.codePointAt(0) ?? 0;
    return -(index + 0.5);
  });
}

/** Answers in reverse order (with `index`), as servers may: clients must sort. */
export function embeddingsAnswer(body: JsonBody, defaultDimensions: number): JsonBody {
  const inputs: string[] = Array.isArray(body.input) ? body.input : [String(body.input ?? '')];
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : defaultDimensions;
  const data = inputs.map((text, index) => {
    const vector = embeddingVector(text, dimensions);
    const embedding = body.encoding_format === 'base64' ? float32LittleEndianBase64(vector) : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((sum, text) => sum + Array.from(text).length, 0);
  return {
    object: 'list',
    model: body.model,
    data: data.reverse(),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function float32LittleEndianBase64(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
