/**
 * A small stand-in for `mmkit serve`, faithful to docs/http-api.md's `/api/*` routes, for the web
 * UI's browser tests until they run against the real server. Deterministic: ask names the image's
 * dominant colour, imagine paints solid-colour PNGs (a colour named in the prompt), the assistant
 * reports what it heard and speaks tones. Serves web/dist at `/` like the real server will.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { colourForPrompt, dominantColour, STUB_STYLES, sentencesOf, solidPng, toneWav } from './stub-answers.ts';

export const STUB_LIMITS = { imageBytes: 10 * 1024 * 1024, audioBytes: 25 * 1024 * 1024, jsonBytes: 1024 * 1024 };

export interface StubRequest {
  method: string;
  path: string;
  /** Form fields (files as `{name, type, size}`) or the JSON body. */
  body: Record<string, unknown>;
}

export interface StubApi {
  url: string;
  /** Every /api request the stub answered, in order. */
  requests: StubRequest[];
  /** Milliseconds between streamed events (default 15). */
  eventDelayMs: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wav': 'audio/wav',
};

interface Model {
  id: string;
  capabilities: string[];
  revision: string;
  files: number;
  size_bytes: number;
  loaded: boolean;
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body is over the limit of ${limit} bytes`, 'body_too_large');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += chunk.length;
    if (total > limit) throw new HttpError(413, `request body is over the limit of ${limit} bytes`, 'body_too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readForm(request: IncomingMessage, limit: number): Promise<FormData> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw new HttpError(415, 'send multipart/form-data', 'unsupported_media_type');
  }
  const body = await readBody(request, limit);
  return new Request('http://stub/', {
    method: 'POST',
    headers: { 'content-type': type },
    body: new Uint8Array(body),
  }).formData();
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(request, STUB_LIMITS.jsonBytes);
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {}
  throw new HttpError(400, 'the body is not a JSON object', 'invalid_json');
}

function describeForm(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of form) {
    fields[name] = typeof value === 'string' ? value : { name: value.name, type: value.type, size: value.size };
  }
  return fields;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** An SSE writer; `open` is false once the client went away (which cancels the work). */
function eventStream(request: IncomingMessage, response: ServerResponse, delayMs: () => number) {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const state = { open: true };
  request.on('close', () => {
    state.open = false;
  });
  return {
    state,
    async send(event: string, data: unknown) {
      if (!state.open) return;
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      await new Promise((resolve) => setTimeout(resolve, delayMs()));
    },
    end: () => response.end(),
  };
}

function text(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value : '';
}

export async function startStubApi(options: { distDir: string }): Promise<StubApi> {
  const outputs = new Map<string, { type: string; bytes: Buffer }>();
  const uploads = new Map<string, Buffer>();
  const models: Model[] = [
    { id: 'mmkit-testkit/llava', capabilities: ['vqa'], revision: 'main', files: 6, size_bytes: 412_000, loaded: true },
    {
      id: 'mmkit-testkit/sd',
      capabilities: ['image-generation'],
      revision: 'main',
      files: 9,
      size_bytes: 1_830_000,
      loaded: false,
    },
  ];
  let counter = 0;
  const store = (type: string, bytes: Buffer, extension: string) => {
    const name = `stub_${Date.now()}_${++counter}.${extension}`;
    outputs.set(name, { type, bytes });
    return `/outputs/${name}`;
  };

  async function ask(request: IncomingMessage, response: ServerResponse, form: FormData) {
    const question = text(form, 'question').trim();
    if (!question) throw new HttpError(400, 'question must not be empty', 'question_empty', 'question');
    let imageId = text(form, 'image_id');
    let image = imageId ? uploads.get(imageId) : undefined;
    if (imageId && !image)
      throw new HttpError(404, `no upload with image_id ${imageId}`, 'image_not_found', 'image_id');
    const file = form.get('image');
    if (!image) {
      if (!(file instanceof File))
        throw new HttpError(400, 'send an image file or an image_id', 'image_missing', 'image');
      image = Buffer.from(await file.arrayBuffer());
    }
    let colour: string;
    try {
      colour = await dominantColour(image);
    } catch {
      const name = file instanceof File ? file.name : 'the upload';
      throw new HttpError(400, `${name}: not a readable image (PNG, JPEG, WebP, GIF)`, 'unsupported_image', 'image');
    }
    const history = JSON.parse(text(form, 'history') || '[]') as { role: string }[];
    const stream = eventStream(request, response, () => api.eventDelayMs);
    if (!imageId) {
      imageId = randomUUID();
      uploads.set(imageId, image);
      await stream.send('upload', { image_id: imageId, image_url: `/uploads/${imageId}` });
    }
    const ocr = text(form, 'ocr') === 'on' ? { text: 'STUB OCR TEXT', confidence: 0.91, used: true } : undefined;
    if (ocr) await stream.send('ocr', ocr);
    const asked = history.filter((turn) => turn.role === 'user').length + 1;
    const answer =
      asked === 1 ? `The image is mostly ${colour}.` : `Still ${colour}: that is question ${asked} about this image.`;
    for (const word of answer.split(/(?<= )/)) await stream.send('delta', { text: word });
    await stream.send('done', {
      question,
      answer,
      model: 'mmkit-testkit/llava',
      ...(ocr ? { ocr } : {}),
      usage: { prompt_tokens: 12, completion_tokens: answer.split(' ').length },
      timings: { total_ms: 1 },
    });
    stream.end();
  }

  async function imagine(request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>) {
    const prompt = typeof body.prompt === 'string' ? body.prompt.trim() : '';
    if (!prompt) throw new HttpError(400, 'prompt must not be empty', 'invalid_parameter', 'prompt');
    const number = (name: string, fallback: number, min: number, max: number) => {
      const value = body[name] ?? fallback;
      if (typeof value !== 'number' || !(value >= min && value <= max)) {
        throw new HttpError(400, `${name} must be a number from ${min} to ${max}`, 'invalid_parameter', name);
      }
      return value;
    };
    const [width, height] = [number('width', 512, 64, 2048), number('height', 512, 64, 2048)];
    const [steps, guidance] = [number('steps', 50, 1, 150), number('guidance', 7.5, 0, 30)];
    const [count, seed] = [number('count', 1, 1, 4), number('seed', 1234, 0, 2 ** 32 - 1)];
    const style = typeof body.style === 'string' ? body.style : '';
    const seen = style ? `${prompt}, ${STUB_STYLES.find((entry) => entry.name === style)?.template ?? style}` : prompt;
    const stream = eventStream(request, response, () => api.eventDelayMs);
    for (let step = 1; step <= steps && stream.state.open; step++) {
      await stream.send('progress', { step, total_steps: steps });
    }
    const images = [];
    for (let index = 0; index < count && stream.state.open; index++) {
      const url = store('image/png', await solidPng(width, height, colourForPrompt(prompt, seed + index)), 'png');
      const provenance = {
        prompt: seen,
        negative_prompt: typeof body.negative_prompt === 'string' ? body.negative_prompt : '',
        style,
        seed: String(seed + index),
        steps: String(steps),
        guidance: String(guidance),
        scheduler: 'PNDMScheduler',
        model: 'mmkit-testkit/sd',
        size: `${width}x${height}`,
      };
      const image = { index, url, seed: seed + index, width, height, provenance };
      images.push(image);
      await stream.send('image', image);
    }
    await stream.send('done', { images, prompt: seen, warnings: [], scheduler: 'PNDMScheduler', timings: {} });
    stream.end();
  }

  async function assistant(request: IncomingMessage, response: ServerResponse, form: FormData) {
    const inputType = text(form, 'input_type');
    let transcript: string | undefined;
    let said: string;
    if (inputType === 'speech') {
      const audio = form.get('audio');
      if (!(audio instanceof File) || audio.size === 0) {
        throw new HttpError(400, 'speech input needs an audio file', 'audio_missing', 'audio');
      }
      transcript = `heard ${audio.size} bytes of ${audio.type || 'audio'}`;
      said = transcript;
    } else if (inputType === 'text') {
      said = text(form, 'text').trim();
      if (!said) throw new HttpError(400, 'text input needs text', 'text_empty', 'text');
    } else {
      throw new HttpError(400, 'input_type must be speech or text', 'invalid_parameter', 'input_type');
    }
    const stream = eventStream(request, response, () => api.eventDelayMs);
    if (transcript !== undefined) await stream.send('transcript', { text: transcript });
    const answer = `You said: ${said}. This is the stub assistant speaking!`;
    const sentences = sentencesOf(answer);
    for (const [index, sentence] of sentences.entries()) {
      for (const word of sentence.split(/(?<= )/)) await stream.send('delta', { text: word });
      if (index < sentences.length - 1) await stream.send('delta', { text: ' ' });
      const url = store('audio/wav', toneWav(0.4, 330 + 110 * index), 'wav');
      await stream.send('audio', { index, url, seconds: 0.4 });
    }
    const audioUrl = store('audio/wav', toneWav(0.4 * sentences.length, 440), 'wav');
    await stream.send('done', { input_type: inputType, transcript, answer, audio_url: audioUrl, timings: {} });
    stream.end();
  }

  async function pull(request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>) {
    const id = typeof body.id === 'string' ? body.id : '';
    if (!/^[\w.-]+\/[\w.-]+$/.test(id))
      throw new HttpError(400, `"${id}" is not a model id (owner/name)`, 'invalid_model_id', 'id');
    if (id.startsWith('missing/')) throw new HttpError(404, `model ${id} is not on the Hub`, 'model_not_found', 'id');
    const stream = eventStream(request, response, () => api.eventDelayMs);
    const files = { 'config.json': 2_000, 'onnx/model.onnx': 240_000 };
    for (const [file, total] of Object.entries(files)) {
      for (let bytes = 0; bytes <= total; bytes += total / 4) {
        await stream.send('progress', { file, bytes, total_bytes: total });
      }
    }
    const size = Object.values(files).reduce((sum, bytes) => sum + bytes, 0);
    if (!models.some((model) => model.id === id)) {
      models.push({ id, capabilities: ['chat'], revision: 'main', files: 2, size_bytes: size, loaded: false });
    }
    await stream.send('done', { id, files: Object.keys(files), size_bytes: size });
    stream.end();
  }

  async function route(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const method = request.method ?? 'GET';
    const record = (body: Record<string, unknown>) => api.requests.push({ method, path, body });
    if (method === 'POST' && path === '/api/ask') {
      const form = await readForm(request, STUB_LIMITS.imageBytes);
      record(describeForm(form));
      return ask(request, response, form);
    }
    if (method === 'POST' && path === '/api/assistant') {
      const form = await readForm(request, STUB_LIMITS.audioBytes);
      record(describeForm(form));
      return assistant(request, response, form);
    }
    if (method === 'POST' && (path === '/api/imagine' || path === '/api/models/pull')) {
      const body = await readJson(request);
      record(body);
      return path === '/api/imagine' ? imagine(request, response, body) : pull(request, response, body);
    }
    record({});
    if (method === 'GET' && path === '/api/styles') return sendJson(response, 200, { styles: STUB_STYLES });
    if (method === 'GET' && path === '/api/models') return sendJson(response, 200, { models });
    if (method === 'GET' && path === '/api/ps') {
      const loaded = models.filter((model) => model.loaded);
      const running = loaded.map((model, index) => ({
        key: model.id,
        capability: model.capabilities[0],
        pid: 4000 + index,
        rss_bytes: 180 * 1024 * 1024,
        state: 'idle',
        queue: 0,
        idle_ms: 12_000,
        expires_in_ms: 288_000,
      }));
      return sendJson(response, 200, { models: running });
    }
    const removal = /^\/api\/models\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && removal) {
      const id = `${decodeURIComponent(removal[1])}/${decodeURIComponent(removal[2])}`;
      const index = models.findIndex((model) => model.id === id);
      if (index === -1) throw new HttpError(404, `model ${id} is not installed`, 'model_not_found', 'id');
      models.splice(index, 1);
      return sendJson(response, 200, { id, removed: true });
    }
    throw new HttpError(404, `no route ${method} ${path}`, 'not_found');
  }

  async function serveFile(response: ServerResponse, path: string): Promise<void> {
    const stored = path.startsWith('/outputs/') ? outputs.get(path.slice('/outputs/'.length)) : undefined;
    const upload = path.startsWith('/uploads/') ? uploads.get(path.slice('/uploads/'.length)) : undefined;
    if (stored || upload) {
      response.writeHead(200, { 'content-type': stored?.type ?? 'application/octet-stream' });
      return void response.end(stored?.bytes ?? upload);
    }
    const relative = normalize(path === '/' ? '/index.html' : path).replace(/^(\.\.[/\\])+/, '');
    try {
      const bytes = await readFile(join(options.distDir, relative));
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(relative)] ?? 'application/octet-stream' });
      response.end(bytes);
    } catch {
      throw new HttpError(404, `no file ${path}`, 'not_found');
    }
  }

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://stub').pathname;
    const work = path.startsWith('/api/') ? route(request, response, path) : serveFile(response, path);
    work.catch((error: unknown) => {
      const known = error instanceof HttpError ? error : new HttpError(500, 'internal error', 'internal_error');
      if (response.headersSent) return void response.end();
      sendJson(response, known.status, {
        error: { message: known.message, type: 'invalid_request_error', param: known.param, code: known.code },
      });
      if (known.status === 413) request.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const api: StubApi = {
    url: `http://127.0.0.1:${port}`,
    requests: [],
    eventDelayMs: 15,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return api;
}
