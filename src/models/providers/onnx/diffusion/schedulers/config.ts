/**
 * `scheduler/scheduler_config.json` as diffusers writes it, read into one typed object. Keys a
 * file leaves out stay `undefined`: each scheduler applies its own diffusers default (DDIM sets
 * `set_alpha_to_one` by default, PNDM does not; Euler spaces timesteps by `linspace`, DDIM by `leading`).
 */
import { MmkitError } from '../../../../../errors.ts';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  trainedBetas: readonly number[] | undefined;
  predictionType: PredictionType;
  timestepSpacing: TimestepSpacing | undefined;
  stepsOffset: number;
  setAlphaToOne: boolean | undefined;
  skipPrkSteps: boolean;
  useKarrasSigmas: boolean;
  clipSample: boolean | undefined;
  clipSampleRange: number;
  /** LCM: the teacher's step count its timesteps are drawn from, and its boundary-condition scale. */
  originalInferenceSteps: number;
  timestepScaling: number;
  /** DPM-Solver: 1 or 2 (2M is order 2). */
  solverOrder: number;
  lowerOrderFinal: boolean;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  trainedBetas: undefined,
  predictionType: 'epsilon',
  timestepSpacing: undefined,
  stepsOffset: 0,
  setAlphaToOne: undefined,
  skipPrkSteps: false,
  useKarrasSigmas: false,
  clipSample: undefined,
  clipSampleRange: 1,
  originalInferenceSteps: 50,
  timestepScaling: 10,
  solverOrder: 2,
  lowerOrderFinal: true,
};

type Json = Record<string, unknown>;

function fail(source: string, key: string, reason: string): never {
  throw new MmkitError(`${source}: ${key} ${reason}`, { code: 'scheduler_config_invalid', param: key });
}

function numberField(json: Json, key: string, source: string, fallback: number, integer = false): number {
  const value = json[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    fail(source, key, `must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function booleanField(json: Json, key: string, source: string): boolean | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(source, key, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function choiceField<T extends string>(json: Json, key: string, source: string, choices: readonly T[]): T | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new MmkitError(
      `${source}: ${key} ${JSON.stringify(value)} is not supported; supported: ${choices.join(', ')}`,
      {
        code: 'scheduler_unsupported',
        param: key,
        type: 'unsupported_error',
      },
    );
  }
  return value as T;
}

/** Reads a parsed `scheduler_config.json`; `source` names the file in error messages. */
export function parseSchedulerConfig(json: Json, source = 'scheduler_config.json'): SchedulerConfig {
  const defaults = DEFAULT_SCHEDULER_CONFIG;
  const trained = json.trained_betas;
  if (trained !== undefined && trained !== null && !(Array.isArray(trained) && trained.every(Number.isFinite))) {
    fail(source, 'trained_betas', 'must be a list of numbers');
  }
  const config: SchedulerConfig = {
    numTrainTimesteps: numberField(json, 'num_train_timesteps', source, defaults.numTrainTimesteps, true),
    betaStart: numberField(json, 'beta_start', source, defaults.betaStart),
    betaEnd: numberField(json, 'beta_end', source, defaults.betaEnd),
    betaSchedule:
      choiceField(json, 'beta_schedule', source, ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const) ??
      defaults.betaSchedule,
    trainedBetas: Array.isArray(trained) ? (trained as number[]) : undefined,
    predictionType:
      choiceField(json, 'prediction_type', source, ['epsilon', 'v_prediction'] as const) ?? defaults.predictionType,
    timestepSpacing: choiceField(json, 'timestep_spacing', source, ['linspace', 'leading', 'trailing'] as const),
    stepsOffset: numberField(json, 'steps_offset', source, defaults.stepsOffset, true),
    setAlphaToOne: booleanField(json, 'set_alpha_to_one', source),
    skipPrkSteps: booleanField(json, 'skip_prk_steps', source) ?? defaults.skipPrkSteps,
    useKarrasSigmas: booleanField(json, 'use_karras_sigmas', source) ?? defaults.useKarrasSigmas,
    clipSample: booleanField(json, 'clip_sample', source),
    clipSampleRange: numberField(json, 'clip_sample_range', source, defaults.clipSampleRange),
    originalInferenceSteps: numberField(
      json,
      'original_inference_steps',
      source,
      defaults.originalInferenceSteps,
      true,
    ),
    timestepScaling: numberField(json, 'timestep_scaling', source, defaults.timestepScaling),
    solverOrder: numberField(json, 'solver_order', source, defaults.solverOrder, true),
    lowerOrderFinal: booleanField(json, 'lower_order_final', source) ?? defaults.lowerOrderFinal,
  };
  if (config.numTrainTimesteps < 2) fail(source, 'num_train_timesteps', 'must be at least 2');
  if (config.trainedBetas && config.trainedBetas.length !== config.numTrainTimesteps) {
    fail(source, 'trained_betas', `has ${config.trainedBetas.length} values for ${config.numTrainTimesteps} timesteps`);
  }
  if (config.solverOrder < 1 || config.solverOrder > 2) fail(source, 'solver_order', 'must be 1 or 2 (2M)');
  return config;
}

/** A config from camel-case overrides on top of the defaults (tests, programmatic use). */
export function schedulerConfig(overrides: Partial<SchedulerConfig> = {}): SchedulerConfig {
  return { ...DEFAULT_SCHEDULER_CONFIG, ...overrides };
}
