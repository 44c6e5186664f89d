/** A runner in a forked Node process, reached over the IPC channel with structured-clone serialization. */
import { type ChildProcess, fork } from 'node:child_process';
import type { ChildMessage, ParentMessage } from './protocol.ts';
import { runnerEntry } from './runner-entry.ts';
import { OutputTail, type RunnerTransport, type RunnerTransportOptions } from './runner-transport.ts';

export class ProcessTransport implements RunnerTransport {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly output: OutputTail;

  constructor(options: RunnerTransportOptions = {}) {
    const entry = runnerEntry();
    this.child = fork(entry.path, [], {
      execArgv: [...entry.execArgv, ...(options.execArgv ?? [])],
      env: options.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.child.pid ?? -1;
    this.output = new OutputTail(options.inheritOutput);
    this.output.follow(this.child.stdout);
    this.output.follow(this.child.stderr);
    this.child.on('error', () => {});
  }

  get outputTail(): string {
    return this.output.text;
  }

  send(message: ParentMessage): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      // The channel closed under us: the exit handler fails the calls.
      if (error) this.child.kill('SIGKILL');
    });
  }

  onMessage(listener: (message: ChildMessage) => void): void {
    this.child.on('message', listener);
  }

  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.child.once('exit', listener);
  }

  hold(held: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr];
    for (const handle of handles) {
      const refable = handle as { ref?: () => void; unref?: () => void } | null | undefined;
      if (held) refable?.ref?.();
      else refable?.unref?.();
    }
  }

  end(force: boolean): void {
    this.child.kill(force ? 'SIGKILL' : 'SIGTERM');
  }
}
