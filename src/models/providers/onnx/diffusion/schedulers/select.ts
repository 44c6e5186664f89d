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

const FACTORIES: Record<SchedulerClassName, (config: SchedulerConfig, steps: number) => DiffusionScheduler> = {
  PNDMScheduler: (config, steps) => new PndmScheduler(config, steps),
  DDIMScheduler: (config, steps) => new DdimScheduler(config, steps),
  EulerDiscreteScheduler: (config, steps) => new EulerScheduler(config, steps),
  EulerAncestralDiscreteScheduler: (config, steps) => new EulerAncestralScheduler(config, steps),
  DPMSolverMultistepScheduler: (config, steps) => new DpmSolverMultistepScheduler(config, steps),
  LCMScheduler: (config, steps) => new LcmScheduler(config, steps),
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

/** A fresh scheduler set to `steps` inference steps (scheduler state lives for one generation). */
export function createScheduler(name: SchedulerClassName, config: SchedulerConfig, steps: number): DiffusionScheduler {
  return FACTORIES[name](config, steps);
}
