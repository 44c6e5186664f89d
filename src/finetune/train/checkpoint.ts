/**
 * Epoch checkpoints: the LoRA tensors, AdamW's moments, the step and epoch, and what fixes the data
 * order and dropout masks (the seed: both are drawn from counter-based streams keyed by seed, epoch
 * and step, so no generator state is needed). Each is written to a temporary folder and renamed
 * into place, so a killed run or a full disk leaves the previous checkpoint intact.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, MmkitError } from '../../errors.ts';
import { type Float32Tensor, SafetensorsFile, writeSafetensors } from '../../media/safetensors.ts';
import type { AdamWState } from './adamw.ts';

export interface CheckpointState<Settings, History> {
  format: 'mmkit-lora-checkpoint';
  version: 1;
  /** Completed epochs. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  seed: number;
  /** The settings and data the run was started with; a resume must match them. */
  settings: Settings;
  history: History;
}

export interface Checkpoint<Settings, History> {
  state: CheckpointState<Settings, History>;
  parameters: Record<string, Float32Array>;
  optimizer: AdamWState;
}

const PREFIX = 'epoch-';

export function checkpointFolder(root: string, epoch: number): string {
  return join(root, `${PREFIX}${epoch}`);
}

export function saveCheckpoint<Settings, History>(
  root: string,
  checkpoint: Checkpoint<Settings, History>,
  shapes: Readonly<Record<string, readonly number[]>>,
): string {
  const target = checkpointFolder(root, checkpoint.state.epoch);
  const temporary = `${target}.partial-${process.pid}`;
  try {
    mkdirSync(root, { recursive: true });
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    const lora: Record<string, Float32Tensor> = {};
    const moments: Record<string, Float32Tensor> = {};
    for (const [name, data] of Object.entries(checkpoint.parameters)) {
      lora[name] = { shape: shapes[name], data };
      const state = checkpoint.optimizer.moments[name];
      if (state) {
        moments[`${name}.exp_avg`] = { shape: shapes[name], data: state.first };
        moments[`${name}.exp_avg_sq`] = { shape: shapes[name], data: state.second };
      }
    }
    writeSafetensors(join(temporary, 'lora.safetensors'), lora);
    writeSafetensors(join(temporary, 'optimizer.safetensors'), moments, {
      step: String(checkpoint.optimizer.step),
    });
    writeFileSync(join(temporary, 'trainer_state.json'), `${JSON.stringify(checkpoint.state, null, 2)}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(temporary, target);
    return target;
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw new MmkitError(`cannot write the checkpoint ${target} (${describeError(error)})`, {
      code: 'checkpoint_unwritable',
      param: 'out',
      type: 'runtime_error',
      cause: error,
    });
  }
}

/** The newest complete checkpoint under `root`, or undefined when there is none. */
export function latestCheckpoint(root: string): string | undefined {
  if (!existsSync(root)) return undefined;
  const epochs = readdirSync(root)
    .filter((name) => new RegExp(`^${PREFIX}\\d+$`).test(name))
    .map((name) => Number(name.slice(PREFIX.length)))
    .filter((epoch) => existsSync(join(checkpointFolder(root, epoch), 'trainer_state.json')))
    .sort((a, b) => a - b);
  return epochs.length === 0 ? undefined : checkpointFolder(root, epochs[epochs.length - 1]);
}

export function loadCheckpoint<Settings, History>(folder: string): Checkpoint<Settings, History> {
  try {
    const state = JSON.parse(readFileSync(join(folder, 'trainer_state.json'), 'utf8')) as CheckpointState<
      Settings,
      History
    >;
    if (state.format !== 'mmkit-lora-checkpoint' || state.version !== 1) throw new Error('unknown checkpoint format');
    const parameters: Record<string, Float32Array> = {};
    const lora = SafetensorsFile.open(join(folder, 'lora.safetensors'));
    try {
      for (const name of lora.entries.keys()) parameters[name] = lora.float32(name);
    } finally {
      lora.close();
    }
    const optimizer: AdamWState = { step: state.step, moments: {} };
    const moments = SafetensorsFile.open(join(folder, 'optimizer.safetensors'));
    try {
      for (const name of Object.keys(parameters)) {
        if (!moments.entries.has(`${name}.exp_avg`)) continue;
        optimizer.moments[name] = {
          first: moments.float32(`${name}.exp_avg`),
          second: moments.float32(`${name}.exp_avg_sq`),
        };
      }
    } finally {
      moments.close();
    }
    return { state, parameters, optimizer };
  } catch (error) {
    throw new MmkitError(`${folder}: not a usable checkpoint (${describeError(error)})`, {
      code: 'checkpoint_unreadable',
      param: 'resume',
      cause: error,
    });
  }
}
