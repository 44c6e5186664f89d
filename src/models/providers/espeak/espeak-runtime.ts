/**
 * Runs the espeak-ng command line compiled to WebAssembly, in-process. The 18 MB module is compiled
 * once and instantiated per call (each instance runs `main` once; the build exports no way to call
 * it again). An instance costs ~0.1–0.2 s; synthesis itself is far faster than real time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type createEspeak from 'espeak-ng';
import { describeError, MmkitError } from '../../../errors.ts';

interface Runtime {
  create: typeof createEspeak;
  module: object;
}

// The ES2023 lib and Node 20's types do not declare WebAssembly: the two calls used, declared locally.
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      instantiate(module: object, imports: object): Promise<object>;
    };
  }
).WebAssembly;

let runtime: Promise<Runtime> | undefined;

function loadRuntime(): Promise<Runtime> {
  runtime ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('espeak-ng');
    const [imported, bytes] = await Promise.all([
      import('espeak-ng'),
      readFile(join(dirname(entry), 'espeak-ng.wasm')),
    ]);
    return { create: imported.default, module: await wasm.compile(bytes) };
  })().catch((error: unknown) => {
    runtime = undefined;
    throw new MmkitError(`espeak-ng could not be loaded: ${describeError(error)}`, {
      code: 'speech_engine_unavailable',
      type: 'runtime_error',
      cause: error,
    });
  });
  return runtime;
}

export interface EspeakOutput {
  /** What espeak printed (stdout), line by line. */
  lines: string[];
  /** The file written with `-w`, when one was asked for. */
  wav?: Uint8Array;
}

/**
 * Runs `espeak-ng ARGS` with `input` readable at `/input.txt` (pass `-f /input.txt`), and returns the
 * WAV written to `/output.wav` when `-w /output.wav` is among the arguments.
 */
export async function runEspeak(args: string[], input = ''): Promise<EspeakOutput> {
  const { create, module } = await loadRuntime();
  const lines: string[] = [];
  const errors: string[] = [];
  let exitStatus = 0;
  let instance: Awaited<ReturnType<typeof create>>;
  try {
    instance = await create({
      arguments: args,
      print: (line) => lines.push(line),
      printErr: (line) => {
        // Emscripten's note that the runtime outlives `exit()` is noise, not an espeak error.
        if (!line.startsWith('program exited')) errors.push(line);
      },
      // The default would set `process.exitCode` to espeak's status: keep it to ourselves.
      quit: (status, toThrow) => {
        exitStatus = status;
        throw toThrow;
      },
      preRun: [(espeak) => espeak.FS.writeFile('/input.txt', input)],
      instantiateWasm: (imports, done) => {
        wasm.instantiate(module, imports).then((created) => done(created, module));
        return {};
      },
    });
  } catch (error) {
    throw engineError(errors.join(' ') || describeError(error), error);
  }
  if (exitStatus !== 0) throw engineError(errors.join(' ') || `exit status ${exitStatus}`);
  const wav = args.includes('/output.wav') ? instance.FS.readFile('/output.wav') : undefined;
  return { lines, wav };
}

function engineError(reason: string, cause?: unknown): MmkitError {
  return new MmkitError(`espeak-ng failed: ${reason}`, { code: 'speech_engine_failed', type: 'runtime_error', cause });
}
