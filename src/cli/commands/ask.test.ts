import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTextPng } from '../../models/providers/tesseract/test-support/render-text.ts';
import { BLUE, GREEN, pngClaiming, RED, type Rgb, solidImage } from '../../tasks/vqa/test-support/images.ts';
import { runCli } from '../test-support/run-cli.ts';

describe('mmkit ask', () => {
  let root: string;
  let llava: string;
  const file = (name: string) => join(root, name);
  // No config file and no Hub access: only the folders the tests build.
  const env = () => ({ MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mmkit-ask-cli-'));
    llava = file('llava');
    const built = await runCli(['testkit', 'build', 'llava', llava]);
    expect(built.code).toBe(0);
    const images: [string, Rgb][] = [
      ['red.png', RED],
      ['green.png', GREEN],
      ['blue.png', BLUE],
    ];
    for (const [name, rgb] of images) await writeFile(file(name), await solidImage(rgb));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('answers with the testkit llava: JSON with question, answer, model, ocr, usage and timings', async () => {
    const result = await runCli(['ask', file('red.png'), 'what colour?', '--model', llava, '--json'], { env: env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(['question', 'answer', 'model', 'ocr', 'usage', 'timings']);
    expect(report).toMatchObject({
      question: 'what colour?',
      answer: 'red',
      model: `onnx:${llava}`,
      // A solid colour has no text: `--ocr auto` does not run OCR.
      ocr: { mode: 'auto', ran: false, used: false, text: '' },
      usage: { prompt_tokens: 2 + 16 + 12 + 4, completion_tokens: 2 },
    });
    expect(Object.keys(report.timings)).toEqual([
      'totalMs',
      'loadMs',
      'imageMs',
      'ocrMs',
      'firstTokenMs',
      'generationMs',
    ]);
    expect(report.timings.totalMs).toBeGreaterThanOrEqual(report.timings.firstTokenMs);
  });

  it('reads an iPhone HEIC photo', async () => {
    const heic = 'src/preprocess/image/fixtures/red-96x64.heic';
    const result = await runCli(['ask', heic, 'what colour?', '--model', llava, '--ocr', 'off'], { env: env() });
    expect(result).toMatchObject({ code: 0, stdout: 'red\n', stderr: '' });
  });

  it('prints the answer alone when stdout is not a terminal; --ocr off leaves ocr out', async () => {
    const [plain, off] = await Promise.all([
      runCli(['ask', file('green.png'), '这是什么颜色？', '--model', llava, '--temperature', '0'], { env: env() }),
      runCli(['ask', file('blue.png'), 'colour?', '--model', llava, '--ocr', 'off', '--json'], { env: env() }),
    ]);
    expect(plain).toEqual({ code: 0, stdout: 'green\n', stderr: '' });
    expect(JSON.parse(off.stdout).answer).toBe('blue');
    expect(JSON.parse(off.stdout).ocr).toBeUndefined();
  });

  it('--ocr on grounds the answer in the text tesseract reads', async () => {
    await writeFile(file('screenshot.png'), await renderTextPng('Model: Pixel 8 Pro\nAndroid version 14'));
    const result = await runCli(
      ['ask', file('screenshot.png'), 'Which phone?', '--model', llava, '--ocr', 'on', '--json', '--seed', '7'],
      { env: env() },
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.answer).toBe('white');
    expect(report.ocr).toMatchObject({
      mode: 'on',
      ran: true,
      used: true,
      text: 'Model: Pixel 8 Pro\nAndroid version 14',
    });
    // The OCR text and the instruction are in the prompt: far more tokens than the bare question.
    expect(report.usage.prompt_tokens).toBeGreaterThan(2 + 16 + 'Which phone?'.length + 4 + 60);
  });

  it('bad input: one line on stderr, exit 1, nothing on stdout', async () => {
    const photo = await readFile('src/preprocess/image/fixtures/astronaut-palette.png');
    await writeFile(file('truncated.png'), photo.subarray(0, Math.floor(photo.length * 0.6)));
    await writeFile(file('bomb.png'), await pngClaiming(20_000, 20_000));
    await runCli(['testkit', 'build', 'llm', file('llm')]);
    const cases: [string[], string | RegExp][] = [
      [
        ['package.json', 'q'],
        'mmkit: package.json: not an image (expected JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC or BMP)',
      ],
      [[file('none.png'), 'q'], `mmkit: ${file('none.png')}: no such file`],
      [[file('truncated.png'), 'q'], /^mmkit: .*truncated\.png: the PNG image is truncated or corrupt \(.+\)$/],
      [
        [file('bomb.png'), 'q'],
        `mmkit: ${file('bomb.png')}: 20000×20000 is 400000000 pixels, over the limit of 50000000`,
      ],
      [[file('red.png'), '  '], 'mmkit: the question is empty: ask something about the image'],
      [
        [file('red.png'), 'x'.repeat(600)],
        `mmkit: the question is too long for onnx:${llava}: the prompt is 622 tokens, the model's context is 512: shorten the conversation`,
      ],
      [
        [file('red.png'), 'q', '--model', file('llm')],
        `mmkit: onnx:${file('llm')} reads text only; questions about images need an image-text-to-text model (e.g. HuggingFaceTB/SmolVLM-256M-Instruct)`,
      ],
      [
        [file('red.png'), 'q', '--model', 'someone/missing-vlm'],
        'mmkit: someone/missing-vlm is not in the model cache (MMKIT_OFFLINE=1 is set); run `mmkit models pull someone/missing-vlm` while online',
      ],
      [[file('red.png'), 'q', '--top-p', '0'], 'mmkit: topP must be a number in (0, 1], got 0'],
    ];
    const results = await Promise.all(
      cases.map(([args]) =>
        runCli(['ask', ...args, ...(args.includes('--model') ? [] : ['--model', llava])], { env: env() }),
      ),
    );
    results.forEach((result, index) => {
      const expected = cases[index][1];
      expect(result.code, cases[index][0].join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      const line = result.stderr.trimEnd();
      expect(result.stderr.split('\n')).toHaveLength(2);
      if (typeof expected === 'string') expect(line).toBe(expected);
      else expect(line).toMatch(expected);
    });
  });

  it('option errors come from the parser', async () => {
    const choice = await runCli(['ask', file('red.png'), 'q', '--ocr', 'maybe']);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toContain("'maybe' is invalid. Allowed choices are auto, on, off.");
    const tokens = await runCli(['ask', file('red.png'), 'q', '--max-new-tokens', '0']);
    expect(tokens.stderr).toContain("--max-new-tokens must be an integer ≥ 1, got '0'");
  });
});
