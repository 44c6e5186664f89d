/**
 * A real server on 127.0.0.1 and a free port, with testkit models: the echo `llm` for chat, `clip`
 * for embeddings (and `siglip`, and `bert` as the text-only `tiny-bert`), `llava` (answers with the image's dominant colour) for /qa and image parts. Each
 * call gets its own temporary root holding the models and the data dir.
 *
 * Models load in the test's process unless `runners` says otherwise (runner processes cost a
 * second or two each on a small machine); `MMKIT_TEST_RUNNERS=on` runs every server test whose
 * models all come from the registry (no in-memory fakes) through runners instead.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { buildTinyModel } from '../../../testkit/build.ts';
import type { MmkitConfig } from '../../models/config.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import type { ModelProvider } from '../../models/registry.ts';
import { createServer, type MmkitServer } from '../create-server.ts';
import type { ServerOptions } from '../server-options.ts';

export interface TestServer {
  server: MmkitServer;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `http://127.0.0.1:PORT/v1`, for OpenAI clients. */
  baseURL: string;
  root: string;
  dataDir: string;
  logged: string[];
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<ServerOptions, 'registry' | 'dataDir'>> {
  /** Extra providers (fakes) registered beside mmkit's own. */
  providers?: ModelProvider[];
  /** Extra `models` entries merged into the config. */
  extraModels?: NonNullable<MmkitConfig['models']>;
  extraDefaults?: NonNullable<MmkitConfig['defaults']>;
  /** The config's `adapters`. */
  adapters?: MmkitConfig['adapters'];
  /** Also build the tiny `sd` (default image generation) and `whisper` (default transcription). */
  withImageAndSpeech?: boolean;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const root = await mkdtemp(join(tmpdir(), 'mmkit-server-'));
  const modelsFolder = join(root, 'models');
  for (const architecture of ['llm', 'clip', 'llava', 'bert', 'siglip'] as const) {
    await buildTinyModel(architecture, join(modelsFolder, architecture));
  }
  const extra = options.withImageAndSpeech ? (['sd', 'whisper'] as const) : [];
  for (const architecture of extra) await buildTinyModel(architecture, join(modelsFolder, architecture));
  const config: MmkitConfig = {
    defaults: {
      ...(options.withImageAndSpeech ? { imageGeneration: 'tiny-sd', transcription: 'tiny-whisper' } : {}),
      chat: 'tiny-llm',
      visionChat: 'tiny-llava',
      embeddings: 'tiny-clip',
      speech: 'espeak:en',
      ...options.extraDefaults,
    },
    models: {
      'tiny-llm': { id: join(modelsFolder, 'llm') },
      'tiny-llava': { id: join(modelsFolder, 'llava') },
      'tiny-clip': { id: join(modelsFolder, 'clip') },
      'tiny-bert': { id: join(modelsFolder, 'bert') },
      'tiny-siglip': { id: join(modelsFolder, 'siglip') },
      ...(options.withImageAndSpeech
        ? { 'tiny-sd': { id: join(modelsFolder, 'sd') }, 'tiny-whisper': { id: join(modelsFolder, 'whisper') } }
        : {}),
      ...options.extraModels,
    },
    ...(options.adapters ? { adapters: options.adapters } : {}),
  };
  const registry = createDefaultRegistry({ config });
  for (const provider of options.providers ?? []) registry.registerProvider(provider);
  const dataDir = join(root, 'data');
  await mkdir(dataDir);
  const logged: string[] = [];
  const {
    providers: _providers,
    extraModels: _models,
    extraDefaults: _defaults,
    adapters: _adapters,
    withImageAndSpeech: _extra,
    ...serverOptions
  } = options;
  const runnersFromEnvironment = process.env.MMKIT_TEST_RUNNERS === 'on' && !options.providers ? {} : 'off';
  const server = await createServer({
    log: (line) => logged.push(line),
    runners: runnersFromEnvironment,
    webDir: false,
    hub: { home: join(root, 'home'), offline: true },
    ...serverOptions,
    registry,
    config,
    dataDir,
  });
  const address = await server.listen({ port: 0 });
  return {
    server,
    url: address.url,
    baseURL: `${address.url}/v1`,
    root,
    dataDir,
    logged,
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every path under `folder`, relative and sorted: compare before/after to see what was written. */
export async function listTree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.map((entry) => relative(folder, join(entry.parentPath, entry.name))).sort();
}

/** A solid-colour image, encoded. */
export async function solidImage(
  colour: { r: number; g: number; b: number },
  format: 'png' | 'jpeg' = 'png',
  size = 32,
): Promise<Buffer> {
  const image = sharp({ create: { width: size, height: size, channels: 3, background: colour } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}

export function dataUrl(bytes: Uint8Array, mediaType = 'image/png'): string {
  return `data:${mediaType};base64,${Buffer.from(bytes).toString('base64')}`;
}
