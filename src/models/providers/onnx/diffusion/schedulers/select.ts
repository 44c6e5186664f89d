/**
 * Picks a scheduler by the class name in `model_index.json` (`["diffusers", "PNDMScheduler"]`) or
 * by a user's override, which may be the class name or a short alias (`euler-a`, `dpm++2m`).
 * An override keeps the model's `scheduler_config.json` (β schedule, prediction type, spacing), as
 * diffusers' `Scheduler.from_config(pipeline.scheduler.config)` does.
 */
import { MmkitError } from '../../../../../errors.ts';
import type { SchedulerConfig } from './config.ts';
import { DdimScheduler } from './ddim.ts';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep.ts';
import { EulerScheduler } from './euler.ts';
import { EulerAncestralScheduler } from './euler-ancestral.ts';
import { LcmScheduler } from './lcm.ts';
import { PndmScheduler } from './pndm.ts';
import type { DiffusionScheduler, SchedulerClassName } from './scheduler.ts';

type SchedulerFactory = (config: SchedulerConfig, steps: number, skip: number) => DiffusionScheduler;

const FACTORIES: Record<SchedulerClassName, SchedulerFactory> = {
  PNDMScheduler: (config, steps, skip) => new PndmScheduler(config, steps, skip),
  DDIMScheduler: (config, steps, skip) => new DdimScheduler(config, steps, skip),
  EulerDiscreteScheduler: (config, steps, skip) => new EulerScheduler(config, steps, skip),
  EulerAncestralDiscreteScheduler: (config, steps, skip) => new EulerAncestralScheduler(config, steps, skip),
  DPMSolverMultistepScheduler: (config, steps, skip) => new DpmSolverMultistepScheduler(config, steps, skip),
  LCMScheduler: (config, steps, skip) => new LcmScheduler(config, steps, skip),
};

/** Short names users type; each maps to a class name. */
export const SCHEDULER_ALIASES: Readonly<Record<string, SchedulerClassName>> = {
  pndm: 'PNDMScheduler',
  plms: 'PNDMScheduler',
  ddim: 'DDIMScheduler',
  euler: 'EulerDiscreteScheduler',
  'euler-a': 'EulerAncestralDiscreteScheduler',
  'euler-ancestral': 'EulerAncestralDiscreteScheduler',
  'dpm++2m': 'DPMSolverMultistepScheduler',
  'dpmpp-2m': 'DPMSolverMultistepScheduler',
  'dpm-solver++': 'DPMSolverMultistepScheduler',
  lcm: 'LCMScheduler',
};

export const SCHEDULER_CLASS_NAMES = Object.keys(FACTORIES) as SchedulerClassName[];

export function isSchedulerClassName(name: string): name is SchedulerClassName {
  return Object.hasOwn(FACTORIES, name);
}

/** A class name from a class name or an alias (case-insensitive); MmkitError for anything else. */
export function resolveSchedulerName(name: string, param = 'scheduler'): SchedulerClassName {
  const trimmed = name.trim();
  const byClass = SCHEDULER_CLASS_NAMES.find((candidate) => candidate.toLowerCase() === trimmed.toLowerCase());
  if (byClass) return byClass;
  const alias = SCHEDULER_ALIASES[trimmed.toLowerCase()];
  if (alias) return alias;
  throw new MmkitError(
    `unknown scheduler "${name}"; supported: ${[...Object.keys(SCHEDULER_ALIASES), ...SCHEDULER_CLASS_NAMES].join(', ')}`,
    { code: 'scheduler_unsupported', param, type: 'unsupported_error' },
  );
}

/**
 * A fresh scheduler set to `steps` inference steps (scheduler state lives for one generation). With
 * `strength` below 1 (image to image) it runs only the last ⌊steps·strength⌋ steps of that grid, as
 * diffusers' img2img pipelines do: the image is noised to the first of them and denoised from there.
 */
export function createScheduler(
  name: SchedulerClassName,
  config: SchedulerConfig,
  steps: number,
  strength = 1,
): DiffusionScheduler {
  return FACTORIES[name](config, steps, steps - stepsAtStrength(steps, strength));
}

/** The steps image to image runs: diffusers' min(⌊steps·strength⌋, steps). */
export function stepsAtStrength(steps: number, strength: number): number {
  return Math.min(Math.floor(steps * strength), steps);
}
