/**
 * Line output for the dataset split: a temporary file beside the target, buffered, written with
 * back-pressure (so memory stays flat however many rows pass), and renamed into place only by
 * `commit`. `discard` removes it, so a failed run leaves nothing partial behind.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const FLUSH_AT = 1 << 16;

/** Waits for `event` or an error, then removes both listeners (a write loop must not pile them up). */
function settle(stream: WriteStream, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEvent = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off(event, onEvent);
      reject(error);
    };
    stream.once(event, onEvent);
    stream.once('error', onError);
  });
}

export class JsonlWriter {
  readonly temporaryPath: string;
  private readonly stream: WriteStream;
  private buffer = '';
  private failure: Error | undefined;
  private closed = false;
  count = 0;

  constructor(readonly path: string) {
    const unique = `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;
    this.temporaryPath = join(dirname(path), `.${basename(path)}.${unique}.partial`);
    this.stream = createWriteStream(this.temporaryPath);
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  write(value: unknown): Promise<void> {
    return this.writeLine(JSON.stringify(value));
  }

  /** `line` must be one line of JSON, without its newline. */
  async writeLine(line: string): Promise<void> {
    this.buffer += `${line}\n`;
    this.count++;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await settle(this.stream, 'drain');
    if (this.failure) throw this.failure;
  }

  /** Finishes the temporary file (the target is not touched yet). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.stream.end();
    await settle(this.stream, 'finish');
    if (this.failure) throw this.failure;
    this.closed = true;
  }

  async commit(): Promise<void> {
    await this.close();
    await rename(this.temporaryPath, this.path);
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await rm(this.temporaryPath, { force: true });
  }
}
