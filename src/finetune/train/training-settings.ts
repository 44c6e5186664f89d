/**
 * The LoRA training settings with the seed's defaults (SPEC §5: r 8, alpha 32, dropout 0.05,
 * q/k/v/o projections, batch 4, gradient accumulation 4, learning rate 2e-4, 5 epochs, cosine
 * schedule with warm-up ratio 0.05, max sequence 512; Hugging Face's max_grad_norm 1 and weight
 * decay 0), checked with messages that name the CLI flag.
 */
import { MmkitError } from '../../errors.ts';
import type { LoraTarget } from '../model/decoder-config.ts';

export const LORA_TARGETS: readonly LoraTarget[] = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

export interface LoraTrainingSettings {
  rank: number;
  alpha: number;
  dropout: number;
  targets: LoraTarget[];
  batchSize: number;
  accumulation: number;
  learningRate: number;
  epochs: number;
  warmupRatio: number;
  maxLength: number;
  maxGradientNorm: number;
  weightDecay: number;
  seed: number;
}

export const TRAINING_DEFAULTS: Readonly<LoraTrainingSettings> = {
  rank: 8,
  alpha: 32,
  dropout: 0.05,
  targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
  batchSize: 4,
  accumulation: 4,
  learningRate: 2e-4,
  epochs: 5,
  warmupRatio: 0.05,
  maxLength: 512,
  maxGradientNorm: 1,
  weightDecay: 0,
  seed: 42,
};

function invalid(flag: string, rule: string, value: unknown): MmkitError {
  return new MmkitError(`--${flag} must be ${rule}, got ${String(value)}`, { code: 'invalid_option', param: flag });
}

export function resolveTrainingSettings(overrides: Partial<LoraTrainingSettings> = {}): LoraTrainingSettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const settings: LoraTrainingSettings = { ...TRAINING_DEFAULTS, ...defined };
  const integer = (flag: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) throw invalid(flag, `an integer ≥ ${min}`, value);
  };
  integer('rank', settings.rank, 1);
  integer('batch-size', settings.batchSize, 1);
  integer('accumulation', settings.accumulation, 1);
  integer('epochs', settings.epochs, 1);
  integer('max-length', settings.maxLength, 2);
  integer('seed', settings.seed, 0);
  if (!(settings.alpha > 0 && Number.isFinite(settings.alpha))) throw invalid('alpha', 'a number > 0', settings.alpha);
  if (!(settings.dropout >= 0 && settings.dropout < 1)) throw invalid('dropout', 'in [0, 1)', settings.dropout);
  if (!(settings.learningRate > 0 && Number.isFinite(settings.learningRate))) {
    throw invalid('learning-rate', 'a number > 0', settings.learningRate);
  }
  if (!(settings.warmupRatio >= 0 && settings.warmupRatio <= 1)) {
    throw invalid('warmup-ratio', 'in [0, 1]', settings.warmupRatio);
  }
  if (!(settings.maxGradientNorm >= 0)) throw invalid('max-grad-norm', 'a number ≥ 0', settings.maxGradientNorm);
  if (!(settings.weightDecay >= 0)) throw invalid('weight-decay', 'a number ≥ 0', settings.weightDecay);
  settings.targets = parseTargets(settings.targets);
  return settings;
}

/** `q_proj,v_proj` or a list: known projection names, each once. */
export function parseTargets(value: string | readonly string[]): LoraTarget[] {
  const names = (typeof value === 'string' ? value.split(/[\s,]+/) : [...value]).filter((name) => name !== '');
  if (names.length === 0) throw invalid('targets', `one or more of ${LORA_TARGETS.join(', ')}`, '(none)');
  for (const name of names) {
    if (!LORA_TARGETS.includes(name as LoraTarget)) {
      throw invalid('targets', `among ${LORA_TARGETS.join(', ')}`, `'${name}'`);
    }
  }
  return [...new Set(names)] as LoraTarget[];
}
