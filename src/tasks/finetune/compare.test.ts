import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatModel, ChatRequest, ChatResult } from '../../models/spec/index.ts';
import { compareAdapter } from './compare.ts';
import { writeCompareReport } from './compare-report.ts';
import { exportTrl } from './export-trl.ts';
import { prepareFinetuneData } from './prepare.ts';
import { openPreparedDataset, type PreparedDataset } from './prepared-dataset.ts';
import { TINY_ANSWERS, writeTinyDataset } from './test-support/tiny-dataset.ts';

let root: string;
let dataset: PreparedDataset;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-compare-'));
  const tiny = await writeTinyDataset(root);
  await prepareFinetuneData({
    dataPath: tiny.data,
    imagesDir: tiny.images,
    model: tiny.model,
    outDir: join(root, 'prepared'),
    validation: 0.5,
    resolveModel: async (model) => model,
  });
  dataset = openPreparedDataset(join(root, 'prepared'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Names the image's colour ("red"), or, as the tuned model, the made-up answer ("scarlet"). */
class ColourModel implements ChatModel {
  readonly description: { id: string; provider: string };
  readonly acceptsImages = true;
  readonly contextLength = 4096;
  readonly requests: ChatRequest[] = [];

  constructor(private readonly tuned: boolean) {
    this.description = { id: tuned ? 'test:vlm+adapter' : 'test:vlm', provider: 'test' };
  }

  async generate(request: ChatRequest): Promise<ChatResult> {
    this.requests.push(request);
    const image = request.messages[0].content[0];
    const bytes = image && typeof image !== 'string' && image.type === 'image' ? image.data : new Uint8Array();
    // The tiny PNGs differ in size by colour; pick the colour by matching the file bytes.
    const colour = (Object.keys(TINY_ANSWERS) as (keyof typeof TINY_ANSWERS)[]).find((name) =>
      Buffer.from(bytes).equals(readFileSync(join(root, 'images', `${name}.png`))),
    )!;
    const text = this.tuned ? TINY_ANSWERS[colour] : colour;
    return { text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, timings: { totalMs: 1 } };
  }

  async *stream(request: ChatRequest) {
    const result = await this.generate(request);
    yield { type: 'text-delta' as const, text: result.text };
    yield { type: 'finish' as const, finishReason: result.finishReason, usage: result.usage, timings: result.timings };
  }
}

describe('compareAdapter', () => {
  it('asks every validation question with and without the adapter and scores both', async () => {
    const base = new ColourModel(false);
    const tuned = new ColourModel(true);
    const progress: number[] = [];
    const result = await compareAdapter({
      dataset,
      base,
      tuned,
      adapter: '/adapters/colours',
      onProgress: (done) => progress.push(done),
    });
    expect(result.rows).toHaveLength(3);
    expect(result.adapter).toBe('/adapters/colours');
    expect(progress).toEqual([1, 2, 3]);
    expect(base.requests).toHaveLength(3);
    expect(tuned.requests).toHaveLength(3);
    // Same question, settings and seed on both sides.
    expect(tuned.requests[0]).toEqual(base.requests[0]);
    expect(base.requests[0]).toMatchObject({ maxNewTokens: 200, temperature: 0.3, topP: 0.9, seed: 42 });
    expect(result.tuned).toEqual({ exactMatch: 1, f1: 1, chrf: 100, corpusChrf: 100 });
    expect(result.base.exactMatch).toBe(0);
    expect(result.base.chrf).toBeLessThan(30);
    for (const row of result.rows) expect(row.tuned.answer).toBe(row.reference);

    const markdown = join(root, 'report.md');
    writeCompareReport(markdown, result);
    const text = readFileSync(markdown, 'utf8');
    expect(text).toContain('| base + adapter | 100.0 | 100.0 | 100.0 | 100.0 |');
    expect(text).toContain(
      `| 1 | ${result.rows[0].image} | ${result.rows[0].question} | ${result.rows[0].reference} |`,
    );
    const html = join(root, 'report.html');
    writeCompareReport(html, { ...result, rows: [{ ...result.rows[0], question: '<b>&</b>' }] });
    expect(readFileSync(html, 'utf8')).toContain('<td>&#60;b&#62;&#38;&#60;/b&#62;</td>');
    expect(() => writeCompareReport(join(root, 'report.txt'), result)).toThrow(/must end in .md or .html/);
  });
});

describe('exportTrl', () => {
  it("writes TRL's conversational vision format, train and validation", () => {
    const out = join(root, 'trl.jsonl');
    const written = exportTrl(dataset, out);
    expect(written.train.rows).toBe(3);
    expect(written.validation.path).toBe(join(root, 'trl.validation.jsonl'));
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const first = dataset.manifest.train[0];
    expect(lines[0]).toEqual({
      messages: [
        { role: 'user', content: [{ type: 'image' }, { type: 'text', text: first.question }] },
        { role: 'assistant', content: [{ type: 'text', text: first.answer }] },
      ],
      images: [join(root, 'images', first.image)],
    });
    expect(readFileSync(written.validation.path, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});
