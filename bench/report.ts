/** One line per measurement: ours, the anchor, and the ratio that says which is better. */
export interface BenchmarkRow {
  /** What was measured, e.g. "log-mel 30 s (Whisper)". */
  name: string;
  /** Our figure and the anchor's, in the same unit. */
  ours: number;
  anchor: number;
  /** e.g. "ms", "items/s". */
  unit: string;
  anchorName: string;
  /** `lower` when smaller is better (times), `higher` when larger is better (throughput). */
  better: 'lower' | 'higher';
  /** The goal as a speed-up ratio (anchor/ours for `lower`), when the issue sets one. */
  goal?: number;
}

export function speedup(row: BenchmarkRow): number {
  return row.better === 'lower' ? row.anchor / row.ours : row.ours / row.anchor;
}

export function printRows(suite: string, rows: BenchmarkRow[]): void {
  process.stdout.write(`\n## ${suite}\n`);
  for (const row of rows) {
    const ratio = speedup(row);
    const goal = row.goal === undefined ? '' : ` (goal ≥ ${row.goal}× ${ratio >= row.goal ? 'met' : 'NOT met'})`;
    process.stdout.write(
      `${row.name}: ${format(row.ours)} ${row.unit} vs ${row.anchorName} ${format(row.anchor)} ${row.unit} → ${ratio.toFixed(2)}× ${ratioWord(row)}${goal}\n`,
    );
  }
}

/** Lower times are faster; lower sizes (MiB) are smaller; higher rates are throughput. */
function ratioWord(row: BenchmarkRow): string {
  if (row.better === 'higher') return 'the throughput';
  return /^(ns|µs|us|ms|s)(\b|\/)/.test(row.unit) ? 'faster' : 'smaller';
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** Median wall time of `fn` in milliseconds after warm-up runs. */
export async function medianMs(
  fn: () => unknown | Promise<unknown>,
  options: { warmup?: number; runs?: number } = {},
): Promise<number> {
  for (let i = 0; i < (options.warmup ?? 2); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < (options.runs ?? 9); i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
