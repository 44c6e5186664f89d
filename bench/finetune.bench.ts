/**
 * LoRA fine-tuning: training tokens/s of mmkit (one onnxruntime-node run for forward + backward,
 * gradient clipping and AdamW in TypeScript) against PyTorch on the CPU (forward + backward +
 * AdamW on the LoRA tensors), same configuration, batch, sequence and thread count, steps
 * interleaved in one run; and the peak memory of a QLoRA (NF4) training step against fp32 LoRA,
 * each measured in its own child process.
 *
 * The model has Qwen2-0.5B's layer shapes (hidden 896, 14 heads, 2 key/value heads, head_dim 64,
 * intermediate 4864, q/k/v biases) with 2 of its 24 layers, and its 151,936-token vocabulary scaled
 * by the same 2/24 so that embeddings and LM head keep their share of the weights (a separate LM
 * head, the general case; one memory row ties it to the embeddings as Qwen2-0.5B does); LoRA r 8, alpha 32
 * on q/k/v/o (the seed's settings). The PyTorch anchor needs /usr/bin/python3 (or MMKIT_PYTHON) with torch.
 */
import { type ChildProcessWithoutNullStreams, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DecoderConfig, LoraConfig } from '../src/finetune/model/decoder-config.ts';
import type { FrozenQuantization } from '../src/finetune/model/quantized-weights.ts';
import { buildTrainingGraph, type TrainingGraph } from '../src/finetune/model/training-graph.ts';
import { randomWeights } from '../src/finetune/model/weight-source.ts';
import { initialLoraTensors } from '../src/finetune/train/lora-init.ts';
import { LoraTrainer } from '../src/finetune/train/lora-trainer.ts';
import type { TokenBatch } from '../src/finetune/train/token-batch.ts';
import type { BenchmarkRow } from './report.ts';

export const QWEN2_05B_TWO_LAYERS: DecoderConfig = {
  architecture: 'qwen2',
  vocabularySize: Math.round((151936 * 2) / 24),
  hiddenSize: 896,
  intermediateSize: 4864,
  numHiddenLayers: 2,
  numAttentionHeads: 14,
  numKeyValueHeads: 2,
  headDim: 64,
  rmsNormEps: 1e-6,
  ropeTheta: 1000000,
  attentionBias: true,
};
const LORA: LoraConfig = { rank: 8, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
const QLORA: FrozenQuantization = { format: 'nf4' };
const BATCH = Number(process.env.MMKIT_BENCH_FT_BATCH ?? 2);
const SEQUENCE = Number(process.env.MMKIT_BENCH_FT_SEQUENCE ?? 128);
const ROUNDS = Number(process.env.MMKIT_BENCH_RUNS ?? 4);
const THREADS = availableParallelism();

function build(quantization?: FrozenQuantization, tied = false): TrainingGraph {
  return buildTrainingGraph({
    config: { ...QWEN2_05B_TWO_LAYERS, tieWordEmbeddings: tied },
    lora: LORA,
    weights: randomWeights(11),
    type: 'float32',
    frozenQuantization: quantization,
  });
}

function randomBatch(): TokenBatch {
  const row = (make: (index: number) => number) => Array.from({ length: SEQUENCE }, (_, index) => make(index));
  const vocabulary = QWEN2_05B_TWO_LAYERS.vocabularySize;
  const batch: TokenBatch = { inputIds: [], attentionMask: [], positionIds: [], labels: [] };
  for (let sequence = 0; sequence < BATCH; sequence++) {
    const tokens = row((index) => (index * 7919 + sequence * 104729) % vocabulary);
    batch.inputIds.push(tokens);
    batch.attentionMask.push(row(() => 1));
    batch.positionIds.push(row((index) => index));
    batch.labels.push(row((index) => (index + 1 < SEQUENCE ? tokens[index + 1] : -100)));
  }
  return batch;
}

function findTorch(): string | undefined {
  for (const python of [process.env.MMKIT_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {}
  }
  return undefined;
}

/** The PyTorch anchor as a long-lived child: `steps(n)` runs n training steps there and gives the seconds. */
async function startAnchor(python: string) {
  const script = fileURLToPath(new URL('./finetune.anchor.py', import.meta.url));
  const setup = { config: QWEN2_05B_TWO_LAYERS, lora: LORA, batch: BATCH, sequence: SEQUENCE, threads: THREADS };
  const child: ChildProcessWithoutNullStreams = spawn(python, [script, JSON.stringify(setup)]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the PyTorch anchor exited');
    return line.value;
  };
  if ((await next()) !== 'ready') throw new Error('the PyTorch anchor did not start');
  return {
    steps: async (count: number) => {
      child.stdin.write(`${count}\n`);
      return Number(await next());
    },
    stop: () => child.stdin.end(),
  };
}

async function timeSteps(trainer: LoraTrainer, batch: TokenBatch, count: number): Promise<number> {
  const started = performance.now();
  for (let step = 0; step < count; step++) await trainer.step(batch, 2e-4);
  return (performance.now() - started) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Peak resident memory (MiB) of training steps on `training`, in a fresh child process. */
async function stepPeakMib(training: TrainingGraph, folder: string, name: string) {
  const path = join(folder, `${name}.onnx`);
  await writeFile(path, training.graph.toBytes());
  const setup = {
    batch: BATCH,
    sequence: SEQUENCE,
    vocabularySize: QWEN2_05B_TWO_LAYERS.vocabularySize,
    trainable: training.trainable,
    sessionOptions: { ...training.sessionOptions, intraOpNumThreads: THREADS },
    steps: 2,
  };
  const script = fileURLToPath(new URL('./finetune-step-memory.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, path, JSON.stringify(setup)]);
  const result = JSON.parse(stdout) as { wholeRunKib: number; stepsKib: number };
  return { wholeRun: result.wholeRunKib / 1024, steps: result.stepsKib / 1024 };
}

export async function run(): Promise<BenchmarkRow[]> {
  const shape = `Qwen2-0.5B layer shapes × 2 layers, batch ${BATCH} × ${SEQUENCE}, ${THREADS} threads`;
  const rows: BenchmarkRow[] = [];
  const folder = await mkdtemp(join(tmpdir(), 'mmkit-bench-finetune-'));
  try {
    const float32 = build();
    const quantized = build(QLORA);
    const memory = {
      float32: await stepPeakMib(float32, folder, 'float32'),
      quantized: await stepPeakMib(quantized, folder, 'qlora'),
      // fp32 with the one session option that lowered its peak (no memory pattern).
      float32Lean: await stepPeakMib(
        { ...float32, sessionOptions: { enableMemPattern: false } },
        folder,
        'float32-lean',
      ),
    };
    for (const key of ['steps', 'wholeRun'] as const) {
      rows.push({
        name: `peak memory of ${key === 'steps' ? 'a training step' : 'a training run (session creation included)'}, QLoRA NF4 vs fp32 LoRA (${shape}; goal ≤ 0.4×)`,
        ours: memory.quantized[key],
        anchor: memory.float32[key],
        unit: 'MiB',
        anchorName: 'fp32 LoRA',
        better: 'lower',
        goal: key === 'steps' ? 2.5 : undefined,
      });
    }
    rows.push({
      name: `peak memory of a training step, QLoRA NF4 vs fp32 LoRA without ONNX Runtime's memory pattern (${shape})`,
      ours: memory.quantized.steps,
      anchor: memory.float32Lean.steps,
      unit: 'MiB',
      anchorName: 'fp32 LoRA (lean session)',
      better: 'lower',
    });
    // Qwen2-0.5B itself ties its LM head to the embeddings (both graphs then store the table once).
    rows.push({
      name: `peak memory of a training step, QLoRA NF4 vs fp32 LoRA, tied embeddings as in Qwen2-0.5B (${shape})`,
      ours: (await stepPeakMib(build(QLORA, true), folder, 'qlora-tied')).steps,
      anchor: (await stepPeakMib(build(undefined, true), folder, 'float32-tied')).steps,
      unit: 'MiB',
      anchorName: 'fp32 LoRA',
      better: 'lower',
    });

    const batch = randomBatch();
    const tokens = BATCH * SEQUENCE;
    const trainers = {
      float32: await LoraTrainer.create(float32, initialLoraTensors(float32.trainable, 1)),
      quantized: await LoraTrainer.create(quantized, initialLoraTensors(quantized.trainable, 1)),
    };
    const python = findTorch();
    const anchor = python ? await startAnchor(python) : undefined;
    try {
      const seconds: Record<'float32' | 'quantized' | 'torch', number[]> = { float32: [], quantized: [], torch: [] };
      // One warm-up step each, then rounds of one step each, interleaved.
      await timeSteps(trainers.float32, batch, 1);
      await timeSteps(trainers.quantized, batch, 1);
      await anchor?.steps(1);
      for (let round = 0; round < ROUNDS; round++) {
        seconds.float32.push(await timeSteps(trainers.float32, batch, 1));
        if (anchor) seconds.torch.push(await anchor.steps(1));
        seconds.quantized.push(await timeSteps(trainers.quantized, batch, 1));
      }
      const rate = (list: number[]) => tokens / median(list);
      if (!anchor) {
        process.stdout.write(
          `finetune: PyTorch anchor unavailable (no python3 with torch); ours: fp32 LoRA ${rate(seconds.float32).toFixed(1)} tokens/s, QLoRA ${rate(seconds.quantized).toFixed(1)} tokens/s\n`,
        );
        return rows;
      }
      rows.push(
        {
          name: `LoRA training tokens/s (forward + backward + AdamW), fp32, ${shape}`,
          ours: rate(seconds.float32),
          anchor: rate(seconds.torch),
          unit: 'tokens/s',
          anchorName: 'PyTorch CPU',
          better: 'higher',
          goal: 1,
        },
        {
          name: `QLoRA (NF4) training tokens/s vs PyTorch fp32 LoRA, ${shape}`,
          ours: rate(seconds.quantized),
          anchor: rate(seconds.torch),
          unit: 'tokens/s',
          anchorName: 'PyTorch CPU',
          better: 'higher',
        },
      );
      return rows;
    } finally {
      anchor?.stop();
      await trainers.float32.release();
      await trainers.quantized.release();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
