/**
 * Tokenization throughput: our `TextTokenizer.tokenize` (int64 [batch, 77], end token kept on
 * truncation) against Transformers.js's own CLIP tokenizer call on the same 1000 mixed
 * English/Chinese sentences, with the same CLIP tokenizer files, in the same run; and on 1000
 * English (plain ASCII) sentences, which take our CLIP fast path (`clip-ascii-encoder.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadTextTokenizer } from '../src/preprocess/text/tokenize.ts';
import { writeClipTokenizer } from '../testkit/clip-tokenizer.ts';
import { type BenchmarkRow, medianMs } from './report.ts';

const SUBJECTS = [
  'a cat',
  'two dogs',
  'an old man',
  'a red car',
  '一只小狗',
  '一位老人',
  'the tall building',
  '一辆汽车',
];
const ACTIONS = ['running on', 'sleeping under', 'standing next to', 'looking at', '在草地上奔跑', '坐在窗台上'];
const PLACES = ['the green grass', 'a wooden table', 'the city street at night', '海边的沙滩', 'a snowy mountain'];
const EXTRAS = ['', ', photographed in 1998', '!', ' with bright colours and soft light', '，非常漂亮。', ' (4k, HDR)'];

const isAscii = (text: string) => /^[\x20-\x7e]*$/.test(text);

/** 1000 deterministic sentences mixing English and Chinese (or English only), a few long enough to truncate. */
export function benchmarkSentences(count = 1000, englishOnly = false): string[] {
  let state = 12345;
  const pick = <T extends string>(all: T[]): T => {
    const items = englishOnly ? all.filter(isAscii) : all;
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return items[state % items.length]!;
  };
  return Array.from({ length: count }, (_, index) => {
    const sentence = `${pick(SUBJECTS)} ${pick(ACTIONS)} ${pick(PLACES)}${pick(EXTRAS)} #${index}`;
    return index % 50 === 0 ? `${sentence} ${sentence} ${sentence} ${sentence} ${sentence}` : sentence;
  });
}

export async function run(): Promise<BenchmarkRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'mmkit-bench-text-'));
  try {
    await writeClipTokenizer(dir);
    const ours = await loadTextTokenizer(dir);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = '';
    const theirs = await AutoTokenizer.from_pretrained(dir);
    const options = { warmup: 2, runs: 7 };
    const rows: BenchmarkRow[] = [];
    for (const [kind, texts] of [
      ['mixed', benchmarkSentences()],
      ['English', benchmarkSentences(1000, true)],
    ] as const) {
      const oursMs = await medianMs(() => ours.tokenize(texts, { maxLength: 77 }), options);
      const theirsMs = await medianMs(
        () => theirs(texts, { padding: 'max_length', max_length: 77, truncation: true }),
        options,
      );
      const perSecond = (ms: number) => (texts.length / ms) * 1000;
      rows.push({
        name: `CLIP tokenization, batch of ${texts.length} ${kind} sentences`,
        ours: perSecond(oursMs),
        anchor: perSecond(theirsMs),
        unit: 'texts/s',
        anchorName: 'Transformers.js tokenizer()',
        better: 'higher',
      });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printRows } = await import('./report.ts');
  printRows('text', await run());
}
