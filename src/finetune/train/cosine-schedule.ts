/**
 * The learning rate of Hugging Face's `lr_scheduler_type="cosine"` with `warmup_ratio`: linear
 * warm-up from 0 over ceil(total · ratio) steps, then half a cosine from the peak down to 0 at the
 * last step. `step` counts optimizer steps from 0 (the rate used for the first update is step 0's).
 */

export interface CosineSchedule {
  peak: number;
  totalSteps: number;
  warmupSteps: number;
}

export function cosineSchedule(peak: number, totalSteps: number, warmupRatio = 0.05): CosineSchedule {
  if (!Number.isInteger(totalSteps) || totalSteps < 1)
    throw new RangeError(`total steps must be ≥ 1, got ${totalSteps}`);
  return { peak, totalSteps, warmupSteps: Math.ceil(totalSteps * warmupRatio) };
}

export function learningRateAt(schedule: CosineSchedule, step: number): number {
  const { peak, totalSteps, warmupSteps } = schedule;
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
