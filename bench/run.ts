/**
 * `npm run bench`: every figure beside its anchor, measured in the same run, printed as a ratio.
 * Each benchmark file exports `run(): Promise<BenchmarkRow[]>`; this runs them all in order.
 */
import type { BenchmarkRow } from './report.ts';
import { printRows } from './report.ts';

const suites: Array<{ name: string; load: () => Promise<{ run: () => Promise<BenchmarkRow[]> }> }> = [
  { name: 'text', load: () => import('./text.bench.ts') },
  { name: 'image', load: () => import('./image.bench.ts') },
  { name: 'audio-decode', load: () => import('./audio-decode.bench.ts') },
  { name: 'audio-features', load: () => import('./audio-features.bench.ts') },
  { name: 'generation', load: () => import('./generation.bench.ts') },
  { name: 'align', load: () => import('./align.bench.ts') },
  { name: 'classic', load: () => import('./classic.bench.ts') },
  { name: 'runner', load: () => import('./runner.bench.ts') },
  { name: 'runner-threads', load: () => import('./runner-threads.bench.ts') },
  { name: 'diffusion', load: () => import('./diffusion.bench.ts') },
  { name: 'assistant', load: () => import('./assistant.bench.ts') },
  { name: 'vqa', load: () => import('./vqa.bench.ts') },
  { name: 'speech', load: () => import('./speech.bench.ts') },
  { name: 'say', load: () => import('./say.bench.ts') },
  { name: 'server', load: () => import('./server.bench.ts') },
  { name: 'finetune', load: () => import('./finetune.bench.ts') },
];

const only = process.argv.slice(2);
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  const module = await suite.load();
  printRows(suite.name, await module.run());
}
