/** A runner in a worker thread of this process, reached with `postMessage` (structured clone in memory). */
import { pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import type { ChildMessage, ParentMessage } from './protocol.ts';
import { runnerEntry } from './runner-entry.ts';
import { OutputTail, type RunnerTransport, type RunnerTransportOptions } from './runner-transport.ts';

const HEAP_FLAG = /^--max-old-space-size=(\d+)$/;

export class ThreadTransport implements RunnerTransport {
  readonly pid = process.pid;
  private readonly worker: Worker;
  private readonly output: OutputTail;

  constructor(options: RunnerTransportOptions = {}) {
    const entry = runnerEntry();
    // A worker takes its heap limit as a resource limit, not as a flag.
    const resourceLimits: ResourceLimits = {};
    const execArgv: string[] = [];
    for (const flag of options.execArgv ?? []) {
      const heap = HEAP_FLAG.exec(flag);
      if (heap) resourceLimits.maxOldGenerationSizeMb = Number(heap[1]);
      else execArgv.push(flag);
    }
    // No piped stdio: a worker's piped streams keep this process alive even after `unref()`. The
    // runner sends what it writes as `output` messages instead (native libraries still write to fd 2).
    const settings = { env: options.env ?? process.env, execArgv, resourceLimits };
    this.worker = entry.loader
      ? // From sources: a thread ignores `--import`, so it registers the TypeScript loader itself.
        new Worker(
          `import(${JSON.stringify(entry.loader)}).then((tsx) => { tsx.register(); ` +
            `return import(${JSON.stringify(pathToFileURL(entry.path).href)}); })`,
          { ...settings, eval: true },
        )
      : new Worker(entry.path, settings);
    this.output = new OutputTail(options.inheritOutput);
    // An uncaught error or an exhausted heap ends the thread; its message joins the crash report.
    this.worker.on('error', (error) => {
      this.output.append(`\n${String(error)}`);
    });
  }

  get outputTail(): string {
    return this.output.text;
  }

  /** After the thread has ended this does nothing: `Runner` fails its calls from the exit. */
  send(message: ParentMessage): void {
    this.worker.postMessage(message);
  }

  onMessage(listener: (message: ChildMessage) => void): void {
    this.worker.on('message', (message: ChildMessage) => {
      if (message.type === 'output') this.output.append(message.text);
      else listener(message);
    });
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.worker.once('exit', (code) => listener(code, null));
  }

  hold(held: boolean): void {
    if (held) this.worker.ref();
    else this.worker.unref();
  }

  end(): void {
    void this.worker.terminate();
  }
}
