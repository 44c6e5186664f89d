/**
 * The server's young generation. A busy server keeps every in-flight request's objects alive (64
 * connections, requests waiting for the model's next batch), and V8's default 16 MB semi-spaces
 * fill in about 20 ms at 25k requests/s: scavenges come four times as often as with 64 MB, and in
 * some runs about 3 KB of each request's objects are promoted to the old generation (measured with
 * `--trace-gc-nvp`: 6–8 µs of pauses per request, and the parallel scavenger's helper threads take
 * CPU from the other core, where the runners or the load generator work). With 64 MB semi-spaces
 * nothing was promoted and tiny CLIP's `/v1/embeddings` served 1.16–1.43× the requests/s in paired
 * rounds; bare Hono gained nothing. The memory it may take under load: two semi-spaces, 128 MB.
 *
 * V8 reads heap sizes only at start-up, so `mmkit serve` started without one runs itself again in a
 * child process with the flag, passing signals on; `npm start` gives the flag directly (one process).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** Set in the child `rerunWithServerFlags` starts. */
const RERUN_VARIABLE = 'MMKIT_SERVE_RERUN';

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Whether this process was started with a semi-space size (on the command line or in NODE_OPTIONS). */
export function hasYoungGenerationSetting(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  const setting = /(^|\s)--max[-_]semi[-_]space[-_]size\b/;
  return execArgv.some((argument) => setting.test(argument)) || setting.test(nodeOptions);
}

/**
 * Runs this same command again with `SERVER_NODE_FLAGS`, in its own process group (so a terminal's
 * Ctrl-C reaches it once, through this process) and with a channel to this one (so it stops when
 * this process dies, even by SIGKILL). Resolves with its exit code (128 + the signal's number when a
 * signal ended it).
 */
export function rerunWithServerFlags(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...SERVER_NODE_FLAGS, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RERUN_VARIABLE]: '1' },
    // Its own process group (POSIX); on Windows that would mean a console window of its own.
    detached: process.platform !== 'win32',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`mmkit: cannot start the server process: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const name of FORWARDED_SIGNALS) process.off(name, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/**
 * In the child `rerunWithServerFlags` started: its parent's channel must not keep it alive, and
 * when the parent goes away the server stops as on SIGTERM.
 */
export function followRerunParent(): void {
  if (process.env[RERUN_VARIABLE] !== '1' || !process.channel) return;
  // Runners and workers this server starts are not reruns.
  delete process.env[RERUN_VARIABLE];
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
