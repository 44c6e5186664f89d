/**
 * Fine-tuning end to end, in real processes: the testkit `llava-llama` (a seeded Llama behind a
 * colour-share vision encoder, which knows no colour) learns to name the colour of solid-colour
 * images. prepare → train (loss falls ≥ 90 %) → compare (exact match rises) → ask with the adapter
 * names the colour of new images; QLoRA learns too; a killed run resumes to the same adapter.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../media/safetensors.ts';
import { readPeftAdapter } from '../../models/adapters/peft-adapter.ts';
import { binPath, runCli } from '../test-support/run-cli.ts';

const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 30, 30],
  green: [30, 200, 40],
  blue: [20, 40, 220],
  yellow: [230, 220, 30],
};
const SHADES = 5;
const QUESTION = 'What colour is this?';
/** Small-model settings: the seed's defaults (lr 2e-4, q/k/v/o, accumulation 4) are for big models. */
const TRAIN_FLAGS = [
  '--targets',
  'q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj',
  '--rank',
  '8',
  '--learning-rate',
  '1e-2',
  '--epochs',
  '15',
  '--batch-size',
  '4',
  '--accumulation',
  '1',
  '--dropout',
  '0',
  '--json',
];

let root: string;
let model: string;
let prepared: string;
let adapter: string;
const env = () => ({ MMKIT_HOME: join(root, 'home'), MMKIT_OFFLINE: '1' });

async function solidImage(path: string, rgb: readonly number[], width: number): Promise<void> {
  await sharp({ create: { width, height: 24, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toFile(path);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mmkit-finetune-colours-'));
  model = join(root, 'llava-llama');
  prepared = join(root, 'prepared');
  adapter = join(root, 'adapter');
  const build = await runCli(['testkit', 'build', 'llava-llama', model], { env: env() });
  expect(build.code).toBe(0);
  const images = join(root, 'images');
  mkdirSync(images);
  const rows: object[] = [];
  for (const [name, rgb] of Object.entries(COLOURS)) {
    for (let shade = 0; shade < SHADES; shade++) {
      const file = `${name}-${shade}.png`;
      await solidImage(
        join(images, file),
        rgb.map((value) => Math.max(0, Math.min(255, value + (shade - 2) * 12))),
        24 + 4 * shade,
      );
      rows.push({ image_path: file, question: QUESTION, answer: name });
    }
  }
  rows.push({ image_path: 'lost.png', question: QUESTION, answer: 'red' });
  writeFileSync(join(root, 'data.jsonl'), `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
  // Shades and sizes the training set does not have.
  await solidImage(join(root, 'new-red.png'), [200, 15, 25], 40);
  await solidImage(join(root, 'new-blue.png'), [10, 30, 200], 30);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type LogEntry = { type: string; loss: number | null };
const trainLosses = (log: LogEntry[]) => log.filter((entry) => entry.type === 'train').map((entry) => entry.loss!);

function adapterTensors(folder: string): Record<string, number[]> {
  const file = SafetensorsFile.open(join(folder, 'adapter_model.safetensors'));
  try {
    return Object.fromEntries([...file.entries.keys()].map((name) => [name, [...file.float32(name)]]));
  } finally {
    file.close();
  }
}

describe('fine-tuning llava-llama to name colours (CLI)', () => {
  it('prepare → train → compare → ask --adapter answers the colour', async () => {
    const prepare = await runCli(
      [
        'finetune',
        'prepare',
        join(root, 'data.jsonl'),
        '--images',
        join(root, 'images'),
        '--model',
        model,
        '--out',
        prepared,
        '--validation',
        '0.3',
      ],
      { env: env() },
    );
    expect(prepare.code).toBe(0);
    expect(prepare.stdout).toContain('21 rows, 20 kept, 1 dropped');
    expect(prepare.stdout).toMatch(/line 21: image_missing \(.*lost\.png/);
    expect(prepare.stdout).toContain('train: 14 rows, validation: 6 rows, 20 images encoded');

    const train = await runCli(['finetune', 'train', prepared, '--out', adapter, ...TRAIN_FLAGS], { env: env() });
    expect(train.code).toBe(0);
    const trained = JSON.parse(train.stdout);
    const losses = trainLosses(trained.log);
    expect(losses.length).toBeGreaterThan(3);
    expect(losses.at(-1)!).toBeLessThan(0.1 * losses[0]);
    const evaluations = trained.log.filter((entry: LogEntry) => entry.type === 'evaluation');
    expect(evaluations.at(-1).loss).toBeLessThan(0.1 * evaluations[0].loss);

    // PEFT's names for a LLaVA checkpoint, read back by the adapter loader.
    const peft = readPeftAdapter(adapter);
    expect(peft.modules).toHaveLength(2 * 7);
    expect(peft.modules.map((module) => module.name)).toContain('language_model.model.layers.0.self_attn.q_proj');
    expect(Object.keys(adapterTensors(adapter))).toContain(
      'base_model.model.language_model.model.layers.0.self_attn.q_proj.lora_A.weight',
    );

    const compare = await runCli(['finetune', 'compare', '--adapter', adapter, prepared, '--json'], { env: env() });
    expect(compare.code).toBe(0);
    const compared = JSON.parse(compare.stdout);
    expect(compared.rows).toHaveLength(6);
    expect(compared.tuned.exactMatch).toBeGreaterThan(compared.base.exactMatch);
    expect(compared.tuned.exactMatch).toBe(1);

    for (const [image, colour] of [
      ['new-red.png', 'red'],
      ['new-blue.png', 'blue'],
    ]) {
      const ask = await runCli(['ask', '--model', model, '--adapter', adapter, join(root, image), QUESTION, '--json'], {
        env: env(),
      });
      expect(ask.stderr).toBe('');
      expect(JSON.parse(ask.stdout).answer).toBe(colour);
    }
    const untuned = await runCli(['ask', '--model', model, join(root, 'new-red.png'), QUESTION, '--json'], {
      env: env(),
    });
    expect(JSON.parse(untuned.stdout).answer).not.toBe('red');
  }, 60_000);

  it('learns with --qlora nf4 (frozen weights in 4-bit blocks)', async () => {
    const out = join(root, 'adapter-nf4');
    const train = await runCli(['finetune', 'train', prepared, '--out', out, '--qlora', 'nf4', ...TRAIN_FLAGS], {
      env: env(),
    });
    expect(train.code).toBe(0);
    const trained = JSON.parse(train.stdout);
    expect(trained.frozen_weights).toBe('nf4');
    const losses = trainLosses(trained.log);
    expect(losses.at(-1)!).toBeLessThan(0.1 * losses[0]);
    // Quantized frozen weights give a different (but working) adapter.
    expect(adapterTensors(out)).not.toEqual(adapterTensors(adapter));
  }, 30_000);

  it('a killed run resumes from its last checkpoint to the adapter the uninterrupted run wrote', async () => {
    const out = join(root, 'adapter-killed');
    const firstCheckpoint = join(out, 'checkpoints', 'epoch-1', 'trainer_state.json');
    const child = spawn(process.execPath, [binPath, 'finetune', 'train', prepared, '--out', out, ...TRAIN_FLAGS], {
      env: { ...process.env, ...env() },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let killed = false;
    while (!killed && child.exitCode === null) {
      if (existsSync(firstCheckpoint)) killed = child.kill('SIGKILL');
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await exited;
    expect(killed).toBe(true);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(false);

    const resume = await runCli(['finetune', 'train', prepared, '--out', out, '--resume', ...TRAIN_FLAGS], {
      env: env(),
    });
    expect(resume.stderr).toBe('');
    expect(resume.code).toBe(0);
    const resumed = JSON.parse(resume.stdout);
    expect(resumed.resumed_from.epoch).toBeGreaterThanOrEqual(1);
    expect(resumed.resumed_from.epoch).toBeLessThan(15);
    expect(adapterTensors(out)).toEqual(adapterTensors(adapter));
  }, 30_000);
});
