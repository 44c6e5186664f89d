/**
 * What the browser tests talk to: the real server (`createServer`) on 127.0.0.1 and a free port,
 * serving the built UI, with testkit models as the defaults — `llava` answers with the image's
 * dominant colour, the tiny `sd` paints, the tiny `whisper` hears tone "words", the echo `llm`
 * repeats what it is told, and espeak speaks. Everything lives in one temporary folder per test file.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/models/config.ts';
import { createDefaultRegistry } from '../../../src/models/default-registry.ts';
import { createServer } from '../../../src/server/create-server.ts';
import { buildTinyModel } from '../../../testkit/build.ts';
import { distDir, ensureWebBuilt } from './web-build.ts';

export interface Target {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The server's data folder: `uploads/` and `outputs/`. */
  dataDir: string;
  /** Its MMKIT_HOME: `config.json` and the model cache (empty at the start). */
  home: string;
  /** Internal errors the server logged. */
  logged: string[];
  close(): Promise<void>;
}

const ARCHITECTURES = ['llava', 'sd', 'llm', 'whisper'] as const;

export async function startTarget(): Promise<Target> {
  const root = await mkdtemp(join(tmpdir(), 'mmkit-e2e-server-'));
  try {
    const models = join(root, 'models');
    await Promise.all([
      ensureWebBuilt(),
      ...ARCHITECTURES.map((architecture) => buildTinyModel(architecture, join(models, architecture))),
    ]);
    // A config file as a user would write it, read the way `mmkit serve` reads it.
    const home = join(root, 'home');
    await mkdir(home);
    const configPath = join(home, 'config.json');
    const defaults = {
      visionChat: join(models, 'llava'),
      imageGeneration: join(models, 'sd'),
      chat: join(models, 'llm'),
      transcription: join(models, 'whisper'),
      speech: 'espeak:cmn',
    };
    await writeFile(configPath, `${JSON.stringify({ defaults }, null, 2)}\n`);
    const { config } = await loadConfig({ path: configPath });
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    const logged: string[] = [];
    const server = await createServer({
      registry: createDefaultRegistry({ config }),
      config,
      dataDir,
      webDir: distDir,
      hub: { home, offline: true },
      // In-process models: runner processes would cost seconds each on a small machine.
      runners: 'off',
      log: (line) => logged.push(line),
    });
    const address = await server.listen({ host: '127.0.0.1', port: 0 });
    return {
      url: address.url,
      dataDir,
      home,
      logged,
      close: async () => {
        await server.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
