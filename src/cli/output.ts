/** How commands talk to the terminal: one JSON document on stdout, progress on stderr (TTY only). */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface ProgressBar {
  update(done: number, detail?: string): void;
  finish(): void;
}

const silentProgress: ProgressBar = { update() {}, finish() {} };

/**
 * A one-line progress bar redrawn in place on stderr. Silent when stderr is not a terminal or when
 * the command prints JSON, so scripted output stays clean.
 */
export function progressBar(label: string, total: number, options: { json?: boolean } = {}): ProgressBar {
  if (options.json || !process.stderr.isTTY || total <= 0) return silentProgress;
  const started = Date.now();
  const width = 28;
  let lastDraw = 0;
  const draw = (done: number, detail = '') => {
    const fraction = Math.min(1, done / total);
    const filled = Math.round(fraction * width);
    const elapsed = (Date.now() - started) / 1000;
    const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${label} ${bar} ${done}/${total} ${eta > 0.5 ? `eta ${eta.toFixed(0)}s ` : ''}${detail}`;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`);
  };
  return {
    update(done, detail) {
      const now = Date.now();
      if (now - lastDraw < 80 && done < total) return;
      lastDraw = now;
      draw(done, detail);
    },
    finish() {
      process.stderr.write('\r\x1b[2K');
    },
  };
}

export interface ThinkingEcho {
  /** A piece of the model's thinking. */
  write(text: string): void;
  /** The answer begins: ends the thinking's line. */
  end(): void;
}

/**
 * A reasoning model's thinking, shown faint on stderr as it comes (a terminal only, never with
 * JSON), so a model that thinks for a minute is not a silent minute. The answer stays alone on stdout.
 */
export function thinkingEcho(options: { json?: boolean } = {}): ThinkingEcho {
  if (options.json || !process.stderr.isTTY) return { write() {}, end() {} };
  let open = false;
  return {
    write(text) {
      if (!open) process.stderr.write('\x1b[2mthinking: ');
      open = true;
      process.stderr.write(text);
    },
    end() {
      if (open) process.stderr.write('\x1b[22m\n');
      open = false;
    },
  };
}
