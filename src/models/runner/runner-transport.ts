/**
 * How the parent reaches a runner. `process` (the default): a forked Node process, so unloading
 * returns all its memory and any crash, native ones included, fails only that model's calls.
 * `thread`: a worker thread in the parent's process, whose calls cost less (messages are cloned in
 * memory instead of framed through a pipe, and no other process must be scheduled); terminating it
 * still frees its memory, and a thrown error or an exhausted heap ends only the thread, but a native
 * crash (a segfault in a native library) takes the whole server down. `Runner` speaks the protocol
 * over either.
 */
import type { ChildMessage, ParentMessage } from './protocol.ts';

export type RunnerIsolation = 'process' | 'thread';

export interface RunnerTransportOptions {
  /** Extra Node flags, e.g. `--max-old-space-size=4096` (a thread takes that one as its heap limit). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Copy the runner's stdout/stderr to this process's stderr (otherwise only a tail is kept for errors). */
  inheritOutput?: boolean;
}

export interface RunnerTransport {
  /** The runner's process id: the parent's own for a thread. */
  readonly pid: number;
  /** The end of what the runner wrote to stdout and stderr, for crash reports. */
  readonly outputTail: string;
  /** Sends a message; throws when it cannot be cloned (a function, a class with private state). */
  send(message: ParentMessage): void;
  onMessage(listener: (message: ChildMessage) => void): void;
  /** Called once when the runner has ended, however it ended. */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** Whether the runner keeps the parent's event loop alive. */
  hold(held: boolean): void;
  /** Asks the runner to end; `force`: at once, whatever it is doing. */
  end(force: boolean): void;
}

const OUTPUT_TAIL_CHARACTERS = 2000;

/** Keeps the end of a runner's output, and copies it to stderr when asked. */
export class OutputTail {
  text = '';

  constructor(private readonly inherit: boolean | undefined) {}

  append(chunk: string): void {
    this.text = (this.text + chunk).slice(-OUTPUT_TAIL_CHARACTERS);
    if (this.inherit) process.stderr.write(chunk);
  }

  follow(stream: NodeJS.ReadableStream | null | undefined): void {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => this.append(chunk));
  }
}
