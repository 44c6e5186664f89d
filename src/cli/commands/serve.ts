/**
 * `mmkit serve`: the HTTP server (the web UI, /api/*, seed routes, OpenAI-compatible /v1) until SIGINT/SIGTERM, then a
 * graceful close: stop accepting, let running requests finish (or cancel them after the grace
 * period), unload models, exit.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { describeError, MmkitError } from '../../errors.ts';
import { loadConfig, mmkitHome } from '../../models/config.ts';
import { createDefaultRegistry } from '../../models/default-registry.ts';
import { createServer } from '../../server/create-server.ts';
import type { CorsSettings } from '../../server/server-options.ts';
import { numberOption } from '../options.ts';

interface ServeOptions {
  host: string;
  port: number;
  config?: string;
  dataDir?: string;
  apiKey?: string;
  cors?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the web UI at /, the application API (/api/*), /qa, /uploads, /outputs and an OpenAI-compatible API (/v1/*).',
    )
    .option('--host <host>', 'address to bind (0.0.0.0 exposes it to the network)', '127.0.0.1')
    .option(
      '--port <port>',
      'port to listen on (0 picks a free one)',
      numberOption('--port', { integer: true, min: 0, max: 65535 }),
      8000,
    )
    .option('--config <file>', 'config file (default $MMKIT_HOME/config.json)')
    .option('--data-dir <dir>', 'where uploads/ and outputs/ are kept (default $MMKIT_HOME/server)')
    .option('--api-key <key>', 'require Authorization: Bearer <key> (default $MMKIT_API_KEY)')
    .option('--cors <origins>', "allowed browser origins, comma-separated, or '*'")
    .action(async (options: ServeOptions) => {
      const { config } = await loadConfig(options.config === undefined ? {} : { path: options.config });
      const apiKey = options.apiKey ?? process.env.MMKIT_API_KEY;
      const server = await createServer({
        registry: createDefaultRegistry({ config }),
        config,
        dataDir: options.dataDir ?? join(mmkitHome(), 'server'),
        ...(apiKey ? { apiKey } : {}),
        ...(options.cors ? { cors: parseCors(options.cors) } : {}),
      });
      const address = await server.listen({ host: options.host, port: options.port }).catch((error: unknown) => {
        throw new MmkitError(`cannot listen on ${options.host}:${options.port}: ${describeError(error)}`, {
          code: 'listen_failed',
          param: '--port',
          cause: error,
        });
      });
      process.stdout.write(`mmkit serve: listening on ${address.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`mmkit serve: ${signal}, finishing in-flight requests…\n`);
          process.removeAllListeners('SIGINT');
          process.removeAllListeners('SIGTERM');
          server.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      process.stdout.write('mmkit serve: stopped\n');
    });
}

function parseCors(value: string): CorsSettings {
  if (value.trim() === '*') return { origins: '*' };
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new MmkitError(`--cors: '${origin}' is not an origin such as http://localhost:5173`, {
        code: 'cors_invalid',
        param: '--cors',
      });
    }
  }
  return { origins };
}
