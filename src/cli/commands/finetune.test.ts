import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModelFiles } from '../../../testkit/model-files.ts';
import { whisperFiles } from '../../../testkit/whisper.ts';
import { type TinyDataset, writeTinyDataset } from '../../tasks/finetune/test-support/tiny-dataset.ts';
import { runCli } from '../test-support/run-cli.ts';

let root: string;
let tiny: TinyDataset;
let prepared: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-cli-finetune-'));
  tiny = await writeTinyDataset(root);
  prepared = join(root, 'prepared');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const env = { MMKIT_HOME: join(tmpdir(), 'mmkit-cli-finetune-home'), MMKIT_OFFLINE: '1' };

describe('mmkit finetune', () => {
  it('prepare → train → export-trl → compare', async () => {
    const prepare = await runCli(
      [
        'finetune',
        'prepare',
        tiny.data,
        '--images',
        tiny.images,
        '--model',
        tiny.model,
        '--out',
        prepared,
        '--validation',
        '0.34',
        '--json',
      ],
      { env },
    );
    expect(prepare.stderr).toBe('');
    expect(prepare.code).toBe(0);
    const report = JSON.parse(prepare.stdout);
    expect(report.counts).toMatchObject({ rows: 9, kept: 6, dropped: 3, train: 3, validation: 3, images: 3 });
    expect(report.dropped_rows.map((row: { reason: string }) => row.reason)).toEqual([
      'image_missing',
      'text_too_short',
      'image_unreadable',
    ]);

    const adapter = join(root, 'adapter');
    const train = await runCli(
      [
        'finetune',
        'train',
        prepared,
        '--out',
        adapter,
        '--epochs',
        '2',
        '--batch-size',
        '1',
        '--accumulation',
        '1',
        '--rank',
        '2',
        '--json',
      ],
      { env },
    );
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const trained = JSON.parse(train.stdout);
    expect(trained.total_steps).toBe(6);
    expect(trained.frozen_weights).toBe('fp32');
    if (process.platform === 'linux') expect(trained.peak_memory_bytes).toBeGreaterThan(10 * 2 ** 20);
    else expect(trained.peak_memory_bytes).toBeNull();
    expect(trained.settings).toMatchObject({
      rank: 2,
      alpha: 32,
      dropout: 0.05,
      learningRate: 2e-4,
      warmupRatio: 0.05,
    });
    expect(trained.log.filter((entry: { type: string }) => entry.type === 'evaluation')).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'LORA',
      r: 2,
    });
    expect(existsSync(join(adapter, 'checkpoints', 'epoch-2'))).toBe(true);

    const trl = await runCli(['finetune', 'export-trl', prepared, '--out', join(root, 'trl.jsonl'), '--json'], { env });
    expect(trl.code).toBe(0);
    expect(JSON.parse(trl.stdout).train.rows).toBe(3);
    const line = JSON.parse(readFileSync(join(root, 'trl.jsonl'), 'utf8').split('\n')[0]);
    expect(line.messages[0].content[0]).toEqual({ type: 'image' });

    // Base and base + adapter both answer every validation question; the report has both columns.
    const reportFile = join(root, 'report.md');
    const compare = await runCli(
      ['finetune', 'compare', '--adapter', adapter, prepared, '--limit', '2', '--report', reportFile, '--json'],
      { env },
    );
    expect(compare.stderr).toBe('');
    expect(compare.code).toBe(0);
    const compared = JSON.parse(compare.stdout);
    expect(compared.rows).toHaveLength(2);
    expect(compared.adapter).toBe(adapter);
    for (const row of compared.rows) {
      expect(typeof row.base.answer).toBe('string');
      expect(typeof row.tuned.answer).toBe('string');
    }
    expect(readFileSync(reportFile, 'utf8')).toContain('| base + adapter |');
  }, 60_000);

  it('fails with one line on bad input', async () => {
    const missing = await runCli(['finetune', 'train', join(root, 'nowhere'), '--out', join(root, 'x')], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mmkit: .*nowhere: not a prepared fine-tuning folder .*\n$/);
    const targets = await runCli(['finetune', 'train', prepared, '--out', join(root, 'x'), '--targets', 'qkv'], {
      env,
    });
    expect(targets.stderr).toMatch(/^mmkit: --targets must be among q_proj, .*got 'qkv'\n$/);
    const qlora = await runCli(['finetune', 'train', prepared, '--out', join(root, 'x'), '--qlora', 'int8'], { env });
    expect(qlora.code).toBe(1);
    expect(qlora.stderr).toBe('mmkit: --qlora: unsupported 4-bit format "int8" (supported: nf4, int4)\n');
    const device = await runCli(['finetune', 'train', prepared, '--out', join(root, 'x'), '--device', 'tpu'], { env });
    expect(device.code).toBe(1);
    expect(device.stderr).toBe('mmkit: unknown device "tpu"; use cpu or cuda\n');
    // This project installs onnxruntime-node without its CUDA provider (.npmrc), so cuda is refused up front.
    const cuda = await runCli(['finetune', 'train', prepared, '--out', join(root, 'x'), '--device', 'cuda'], { env });
    expect(cuda.code).toBe(1);
    expect(cuda.stderr).toMatch(/^mmkit: device cuda: the onnxruntime-node CUDA provider is not installed .*\n$/);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('refuses an architecture it cannot train in one line naming the supported ones', async () => {
    const gpt2 = join(root, 'gpt2');
    mkdirSync(gpt2, { recursive: true });
    writeFileSync(join(gpt2, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_embd: 32 }));
    const whisper = join(root, 'whisper');
    await writeModelFiles(whisper, whisperFiles());
    for (const [model, type] of [
      [gpt2, 'gpt2'],
      [whisper, 'whisper'],
    ]) {
      const result = await runCli(
        ['finetune', 'prepare', tiny.data, '--images', tiny.images, '--model', model, '--out', join(root, `p-${type}`)],
        { env },
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^mmkit: .*config\\.json: model type "${type}" is not supported for fine-tuning; supported: llama, qwen2, mistral .*\\n$`,
        ),
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(root, `p-${type}`))).toBe(false);
    }
  });
});
